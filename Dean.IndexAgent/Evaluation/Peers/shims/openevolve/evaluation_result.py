"""`openevolve.evaluation_result.EvaluationResult` as OpenEvolve documents it: metrics plus artifacts."""
from dataclasses import dataclass, field
from typing import Any, Dict


@dataclass
class EvaluationResult:
    metrics: Dict[str, float]
    artifacts: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, metrics):
        return cls(metrics=dict(metrics))

    def to_dict(self):
        return dict(self.metrics)

    def has_artifacts(self):
        return bool(self.artifacts)
