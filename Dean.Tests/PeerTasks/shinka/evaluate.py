"""ShinkaEvolve's evaluator interface: `python evaluate.py --program_path P --results_dir D` through run_shinka_eval."""
import argparse

from shinka.core import run_shinka_eval

TARGET = (3.0, 5.0)


def validate(result):
    ok = isinstance(result, tuple) and len(result) == 2 and all(isinstance(v, (int, float)) for v in result)
    return ok, None if ok else f"expected a pair of numbers, got {result!r}"


def aggregate(results):
    x, y = results[0]
    distance = (x - TARGET[0]) ** 2 + (y - TARGET[1]) ** 2
    return {
        "combined_score": 1.0 / (1.0 + distance),
        "public": {"distance": distance},
        "private": {"target": list(TARGET)},
        "text_feedback": f"squared distance to the target {distance:.4f}",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--program_path", required=True)
    parser.add_argument("--results_dir", required=True)
    args = parser.parse_args()
    print("evaluating", args.program_path)
    run_shinka_eval(program_path=args.program_path, results_dir=args.results_dir, experiment_fn_name="run_experiment",
                    num_runs=2, validate_fn=validate, aggregate_metrics_fn=aggregate)
