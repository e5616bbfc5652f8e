"""Scores program.choose, an online bin-packing rule, on fixed pseudo-random item sets (higher is better).

The evaluator owns the bins: it feeds the items one by one, checks every answer (an existing bin with room, or -1
for a new bin) and so guarantees that each item is placed exactly once and no bin overflows; a wrong answer fails.
For each instance, excess = bins used / lower bound - 1, with lower bound = ceil(total size / capacity) (for the
triplet instances that bound is the optimum). score = 1 / (1 + mean excess in percent): 1 when every instance uses
no more bins than the bound, 0.5 at 1% excess, about 0.1 at 9%. Always positive.
Prints one JSON line, DEAN's evaluator protocol: {"score", "passed", "metrics", "feedback"}. Deterministic.
"""
import json
import math
import random
import sys

sys.dont_write_bytecode = True  # importing program.py must leave no __pycache__ in the target

UNIFORM_SEEDS = [101, 202, 303, 404, 505, 606, 707, 808]
TRIPLET_SEEDS = [111, 222, 333, 444, 555, 666, 777, 888]


def uniform_instance(seed, count=250, capacity=150):
    """OR-Library 'u' style: integer sizes uniform in 20..100, capacity 150."""
    rng = random.Random(seed)
    return capacity, [rng.randint(20, 100) for _ in range(count)]


def triplet_instance(seed, triplets=83, capacity=1000):
    """OR-Library 't' style: every bin of an optimal packing holds exactly three items that fill it (sizes 250..490)."""
    rng = random.Random(seed)
    items = []
    for _ in range(triplets):
        first = rng.randint(380, 490)
        second = rng.randint(250, (capacity - first) // 2)
        items += [first, second, capacity - first - second]
    rng.shuffle(items)
    return capacity, items


def pack(choose, capacity, items):
    """Runs the online rule over the items; returns the number of bins it opened."""
    bins = []
    for position, item in enumerate(items):
        k = choose(item, tuple(bins), capacity)
        if k == -1:
            bins.append(capacity - item)
            continue
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(bins):
            raise ValueError(f"item {position} (size {item}): choose returned {k!r}, not -1 or a bin index "
                             f"below {len(bins)}")
        if bins[k] < item:
            raise ValueError(f"item {position} (size {item}): bin {k} has only {bins[k]} left")
        bins[k] -= item
    return len(bins)


def main():
    try:
        import program
        results = {}
        for kind, make, seeds in (("uniform", uniform_instance, UNIFORM_SEEDS),
                                  ("triplet", triplet_instance, TRIPLET_SEEDS)):
            excess = []
            for seed in seeds:
                capacity, items = make(seed)
                bound = math.ceil(sum(items) / capacity)
                excess.append(pack(program.choose, capacity, items) / bound - 1.0)
            results[kind] = excess
    except Exception as error:  # the candidate is broken: report it, don't crash the protocol
        print(json.dumps({"score": None, "passed": False, "metrics": {},
                          "feedback": f"{type(error).__name__}: {error}"}))
        return 1
    every = results["uniform"] + results["triplet"]
    mean_percent = 100.0 * sum(every) / len(every)
    uniform_percent = 100.0 * sum(results["uniform"]) / len(results["uniform"])
    triplet_percent = 100.0 * sum(results["triplet"]) / len(results["triplet"])
    print(json.dumps({
        "score": round(1.0 / (1.0 + mean_percent), 6),
        "passed": True,
        "metrics": {"mean_excess_percent": round(mean_percent, 4), "uniform_excess_percent": round(uniform_percent, 4),
                    "triplet_excess_percent": round(triplet_percent, 4), "instances": len(every)},
        "feedback": f"{mean_percent:.3f}% more bins than the lower bound on average "
                    f"(uniform {uniform_percent:.3f}%, triplets {triplet_percent:.3f}%)",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
