#!/usr/bin/env python3
"""DEAN's runner for OpenEvolve and ShinkaEvolve tasks, unchanged (DESIGN section 2, peer formats).

    python3 dean_peer_runner.py openevolve EVALUATOR PROGRAM [--stage N]
    python3 dean_peer_runner.py shinka EVALUATOR PROGRAM

It runs the peer's evaluator on PROGRAM and prints one line on stdout, DEAN's evaluator protocol:
{"score": ..., "passed": ..., "metrics": {...}, "feedback": "..."}. Whatever the evaluator itself prints goes to stderr,
so that line is the only thing DEAN parses. The shims next to this file stand in for the peers' own packages
(`openevolve.evaluation_result`, `shinka.core.run_shinka_eval`), which are not installed.

Mapping: `combined_score` is the score (else the mean of the numeric metrics); an `error` key, a `validity` of 0, a
false `correct` or a score that is not finite means not passed; artifacts and `text_feedback` become the feedback;
numeric metrics (Shinka: also `public`) are the metrics. With `--stage N` it calls OpenEvolve's `evaluate_stageN`
instead of `evaluate`: DEAN runs the cascade as its own stages, with the thresholds of `config.yaml`.
"""
import importlib.util
import json
import math
import os
import runpy
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SHIMS = os.path.join(HERE, "shims")
FEEDBACK_LIMIT = 4000


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric(metrics):
    return {k: float(v) for k, v in metrics.items() if number(v) and math.isfinite(v)}


def score_of(metrics):
    if "combined_score" in metrics:
        value = metrics["combined_score"]
        return float(value) if number(value) else float("nan")
    values = list(numeric(metrics).values())
    return sum(values) / len(values) if values else float("nan")


def capped(text):
    return text if len(text) <= FEEDBACK_LIMIT else text[: FEEDBACK_LIMIT - 3] + "..."


def verdict(metrics, feedback_parts, passed=True):
    score = score_of(metrics)
    if not math.isfinite(score):
        passed = False
        feedback_parts.append(f"score is not a finite number: {metrics.get('combined_score', score)!r}")
    if "error" in metrics and metrics["error"]:
        passed = False
        feedback_parts.append(f"error: {metrics['error']}")
    if number(metrics.get("validity")) and metrics["validity"] == 0:
        passed = False
        feedback_parts.append("validity: 0")
    if metrics.get("correct") is False:
        passed = False
    return {
        "score": score if math.isfinite(score) else 0.0,
        "passed": passed,
        "metrics": numeric(metrics),
        "feedback": capped("\n".join(p for p in feedback_parts if p)),
    }


def artifacts_text(artifacts):
    return "\n".join(f"{key}: {value}" for key, value in (artifacts or {}).items())


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def split(result):
    """(metrics, artifacts) of a dict or an EvaluationResult-like object."""
    if hasattr(result, "metrics"):
        return dict(result.metrics or {}), dict(getattr(result, "artifacts", None) or {})
    if isinstance(result, dict):
        return dict(result), {}
    raise TypeError(f"the evaluator returned {type(result).__name__}, not a dict or an EvaluationResult")


def openevolve(evaluator, program, stage):
    sys.path[:0] = [SHIMS, os.path.dirname(os.path.abspath(evaluator))]
    module = load(evaluator, "evaluator")
    function = getattr(module, f"evaluate_stage{stage}") if stage else module.evaluate
    metrics, artifacts = split(function(program))
    return verdict(metrics, [artifacts_text(artifacts)])


def run_script(path, args):
    """Runs a script as `python3 path args` would, in this interpreter (one start-up instead of two); its exit code."""
    sys.argv = [path] + args
    sys.path[:0] = [os.path.dirname(os.path.abspath(path)), SHIMS]
    try:
        runpy.run_path(path, run_name="__main__")
        return 0
    except SystemExit as exit:
        return 0 if exit.code is None else exit.code if isinstance(exit.code, int) else 1


def shinka(evaluator, program):
    results = tempfile.mkdtemp(prefix="shinka-results-")
    exit_code = run_script(evaluator, ["--program_path", program, "--results_dir", results])
    correct_path = os.path.join(results, "correct.json")
    metrics_path = os.path.join(results, "metrics.json")
    if not os.path.exists(correct_path):
        return {"score": 0.0, "passed": False, "metrics": {}, "feedback": f"evaluate.py wrote no correct.json (exit code {exit_code})"}
    with open(correct_path, encoding="utf-8") as f:
        correct = json.load(f)
    metrics = {}
    if os.path.exists(metrics_path):
        with open(metrics_path, encoding="utf-8") as f:
            metrics = json.load(f, parse_constant=lambda c: float(c))
    public = metrics.get("public") if isinstance(metrics.get("public"), dict) else {}
    merged = dict(public)
    merged.update({k: v for k, v in metrics.items() if k not in ("public", "private", "text_feedback")})
    feedback = [str(metrics.get("text_feedback") or "")]
    if correct.get("error"):
        feedback.append(f"error: {correct['error']}")
    passed = bool(correct.get("correct")) and exit_code == 0
    if exit_code != 0:
        feedback.append(f"evaluate.py exited with code {exit_code}")
    return verdict(merged, feedback, passed=passed)


def main(argv):
    if len(argv) < 4 or argv[1] not in ("openevolve", "shinka"):
        sys.exit(__doc__)
    fmt, evaluator, program = argv[1], argv[2], os.path.abspath(argv[3])
    stage = int(argv[argv.index("--stage") + 1]) if "--stage" in argv else None
    real_stdout = os.dup(1)
    os.dup2(2, 1)  # the evaluator's own output, and its children's, goes to stderr
    sys.stdout = os.fdopen(os.dup(2), "w", buffering=1)
    try:
        result = openevolve(evaluator, program, stage) if fmt == "openevolve" else shinka(evaluator, program)
    except Exception:  # an evaluator that raises rejects the candidate with its traceback as feedback
        result = {"score": 0.0, "passed": False, "metrics": {}, "feedback": capped(traceback.format_exc())}
    with os.fdopen(real_stdout, "w") as out:
        out.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv)
