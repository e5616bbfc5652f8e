"""Scores program.pack: for n = 10, 12 and 14, the sum of the radii of the n circles it places in the unit square;
score = the mean of those three sums (higher is better, always positive for a valid packing).

Each packing is checked: exactly n finite circles, each inside the square and no two overlapping (tolerance 1e-9);
a packing that breaks a rule fails. For each n the search may call program.relax and program.radii at most BUDGET
times in all (counted here, on the evaluator's own copies of the two rules), and all of pack() must finish within a
CPU-time guard (a cap against unbounded work outside those calls, far above what the budget needs; it is never part
of the score).
Prints one JSON line, DEAN's evaluator protocol: {"score", "passed", "metrics", "feedback"}. The program is
deterministic, so is the score.
"""
import json
import math
import sys
import time

sys.dont_write_bytecode = True  # importing program.py must leave no __pycache__ in the target

SIZES = (10, 12, 14)
BUDGET = 300
TOLERANCE = 1e-9
CPU_GUARD_SECONDS = 1.0


def relax(centres, radius, step):
    """The same rule as program.relax (kept here so that a candidate cannot change what is counted)."""
    n = len(centres)
    moves = [[0.0, 0.0] for _ in range(n)]
    for i in range(n):
        xi, yi = centres[i]
        for j in range(i + 1, n):
            dx, dy = xi - centres[j][0], yi - centres[j][1]
            d = math.hypot(dx, dy)
            overlap = 2.0 * radius - d
            if overlap > 0.0:
                if d < 1e-12:
                    dx, dy, d = 1.0, 0.0, 1.0
                push = 0.5 * step * overlap / d
                moves[i][0] += dx * push
                moves[i][1] += dy * push
                moves[j][0] -= dx * push
                moves[j][1] -= dy * push
    low, high = min(radius, 0.5), max(1.0 - radius, 0.5)
    return [(min(max(x + mx, low), high), min(max(y + my, low), high)) for (x, y), (mx, my) in zip(centres, moves)]


def radii(centres):
    """The same rule as program.radii (kept here so that a candidate cannot change what is counted)."""
    r = [max(0.0, min(x, 1.0 - x, y, 1.0 - y)) for x, y in centres]
    n = len(centres)
    for i in range(n):
        xi, yi = centres[i]
        for j in range(i + 1, n):
            d = math.hypot(xi - centres[j][0], yi - centres[j][1])
            if r[i] + r[j] > d:
                scale = d / (r[i] + r[j])
                r[i] *= scale
                r[j] *= scale
    return r


def fail(error):
    print(json.dumps({"score": None, "passed": False, "metrics": {},
                      "feedback": f"{type(error).__name__}: {error}"}))
    return 1


def check(circles, n):
    """The circles as (x, y, r) floats, or a ValueError naming the first broken rule."""
    circles = [tuple(float(v) for v in c) for c in circles]
    if len(circles) != n:
        raise ValueError(f"n={n}: expected {n} circles, got {len(circles)}")
    for k, c in enumerate(circles):
        if len(c) != 3 or not all(math.isfinite(v) for v in c):
            raise ValueError(f"n={n}: circle {k} is not three finite numbers (x, y, r): {c}")
        x, y, r = c
        if r < 0:
            raise ValueError(f"n={n}: circle {k} has a negative radius {r}")
        if x - r < -TOLERANCE or x + r > 1 + TOLERANCE or y - r < -TOLERANCE or y + r > 1 + TOLERANCE:
            raise ValueError(f"n={n}: circle {k} (x={x:.6f}, y={y:.6f}, r={r:.6f}) leaves the unit square")
    for i in range(n):
        xi, yi, ri = circles[i]
        for j in range(i + 1, n):
            xj, yj, rj = circles[j]
            gap = math.hypot(xi - xj, yi - yj) - ri - rj
            if gap < -TOLERANCE:
                raise ValueError(f"n={n}: circles {i} and {j} overlap by {-gap:.3g}")
    return circles


def main():
    try:
        import program
        calls = [0]

        def spend():
            calls[0] += 1
            if calls[0] > BUDGET:
                raise RuntimeError(f"pack exceeded the budget of {BUDGET} relax() and radii() calls")

        def counted_relax(centres, radius, step):
            spend()
            return relax(centres, radius, step)

        def counted_radii(centres):
            spend()
            return radii(centres)

        program.relax = counted_relax
        program.radii = counted_radii
        sums = {}
        started = time.process_time()
        for n in SIZES:
            calls[0] = 0
            circles = check(program.pack(n, BUDGET), n)
            sums[n] = sum(r for _, _, r in circles)
        if time.process_time() - started > CPU_GUARD_SECONDS:
            raise RuntimeError(f"pack used more than {CPU_GUARD_SECONDS} s of CPU time")
    except Exception as error:  # the candidate is broken or a packing is invalid: report it
        return fail(error)
    mean = sum(sums.values()) / len(sums)
    print(json.dumps({
        "score": round(mean, 6),
        "passed": True,
        "metrics": {f"sum_of_radii_{n}": round(total, 6) for n, total in sums.items()},
        "feedback": "sum of radii " + ", ".join(f"{total:.4f} for n={n}" for n, total in sums.items())
                    + f"; mean {mean:.4f}",
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
