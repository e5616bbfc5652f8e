"""Scores program.search on the shifted 5-D Rastrigin function: the best values it reaches over fixed seeds.

For each seed the evaluator draws a secret shift (the position of the global minimum), hands search() an objective
that counts its calls, and refuses a run that exceeds the budget. The value of the returned point is recomputed here.
score = 1 / geometric mean of (1 + best value) over the seeds: 1 at the global minimum, higher is better, always
positive; the geometric mean keeps one unlucky seed from dominating the score.
Prints one JSON line, DEAN's evaluator protocol: {"score", "passed", "metrics", "feedback"}. Deterministic.
"""
import json
import math
import random
import sys

sys.dont_write_bytecode = True  # importing program.py must leave no __pycache__ in the target

SEEDS = [3, 8, 14, 17, 23, 29, 35, 42, 47, 58, 64, 71, 77, 86, 91, 97]
BUDGET = 600
DIM = 5
SHIFT_RANGE = 3.0


def rastrigin(z):
    """The evaluator's own copy of program.rastrigin, so that a candidate cannot change what is measured."""
    return 10.0 * len(z) + sum(v * v - 10.0 * math.cos(2.0 * math.pi * v) for v in z)


def fail(error):
    print(json.dumps({"score": None, "passed": False, "metrics": {},
                      "feedback": f"{type(error).__name__}: {error}"}))
    return 1


def main():
    try:
        import program
        dim = DIM
        values = []
        for seed in SEEDS:
            shift_rng = random.Random(1000 + seed)
            shift = [shift_rng.uniform(-SHIFT_RANGE, SHIFT_RANGE) for _ in range(dim)]
            calls = [0]

            def objective(point, shift=shift, calls=calls):
                calls[0] += 1
                if calls[0] > BUDGET:
                    raise RuntimeError(f"search exceeded the budget of {BUDGET} objective calls")
                if len(point) != dim:
                    raise ValueError(f"a point must have {dim} coordinates, got {len(point)}")
                return rastrigin([p - s for p, s in zip(point, shift)])

            point = program.search(objective, dim, BUDGET, seed)
            point = [float(p) for p in point]
            if len(point) != dim:
                raise ValueError(f"search returned {len(point)} coordinates, expected {dim}")
            if not all(math.isfinite(p) for p in point):
                raise ValueError("search returned a non-finite point")
            values.append(rastrigin([p - s for p, s in zip(point, shift)]))
    except Exception as error:  # the candidate is broken: report it, don't crash the protocol
        return fail(error)
    mean = sum(values) / len(values)
    geometric = math.exp(sum(math.log1p(v) for v in values) / len(values))  # geometric mean of (1 + value)
    score = 1.0 / geometric
    solved = sum(1 for v in values if v < 0.01)
    print(json.dumps({
        "score": round(score, 6),
        "passed": True,
        "metrics": {"mean_value": round(mean, 6), "geometric_mean_1p": round(geometric, 6),
                    "best_value": round(min(values), 6), "worst_value": round(max(values), 6), "seeds_solved": solved},
        "feedback": f"mean best value {mean:.4f} over {len(SEEDS)} seeds (global minimum 0); "
                    f"{solved} seeds within 0.01 of it",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
