"""`shinka.core.run_shinka_eval`, written for DEAN from ShinkaEvolve's documented interface.

It loads the candidate program, calls `experiment_fn_name` `num_runs` times (keyword arguments from
`get_experiment_kwargs(run_index)`, else `seed=run_index + 1`), validates each result with `validate_fn`, aggregates
them with `aggregate_metrics_fn`, writes `metrics.json` and `correct.json` (`{correct, error}`) to `results_dir` and
returns `(metrics, correct, error)`. An exception anywhere makes the candidate incorrect.
"""
import importlib.util
import json
import os
import statistics
import time

__all__ = ["run_shinka_eval"]


def _load(program_path):
    spec = importlib.util.spec_from_file_location("program", program_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write(results_dir, metrics, correct, error):
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, "correct.json"), "w", encoding="utf-8") as f:
        json.dump({"correct": correct, "error": error}, f)
    with open(os.path.join(results_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, default=str)


def run_shinka_eval(program_path, results_dir, experiment_fn_name, num_runs, get_experiment_kwargs=None,
                    aggregate_metrics_fn=None, validate_fn=None, default_metrics_on_error=None):
    correct, error, durations, results = True, None, [], []
    try:
        experiment = getattr(_load(program_path), experiment_fn_name)
        for run in range(num_runs):
            kwargs = dict(get_experiment_kwargs(run)) if get_experiment_kwargs else {"seed": run + 1}
            started = time.perf_counter()
            result = experiment(**kwargs)
            durations.append(time.perf_counter() - started)
            results.append(result)
            if validate_fn:
                valid, message = validate_fn(result)
                if not valid:
                    correct = False
                    error = error or f"Validation failed: {message}"
        metrics = dict(aggregate_metrics_fn(results)) if aggregate_metrics_fn else {"num_successful_runs": len(results)}
        metrics["execution_time_mean"] = statistics.fmean(durations) if durations else 0.0
    except Exception as exception:  # the candidate broke: incorrect, with the evaluator's default metrics
        metrics = dict(default_metrics_on_error or {"combined_score": 0.0})
        correct, error = False, f"{type(exception).__name__}: {exception}"
    _write(results_dir, metrics, correct, error)
    return metrics, correct, error
