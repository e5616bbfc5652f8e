"""Packs n circles into the unit square so that the sum of their radii is as large as possible, for n in SIZES.

Two fixed primitives do the geometry, and the evaluator counts their calls: for each n the search may call
relax() and radii() at most BUDGET times in all. DEAN agents may change only the text between the EVOLVE-BLOCK
markers; evaluate.py checks every packing (inside the square, no overlaps) and scores the mean sum of the radii.
"""
import math

SIZES = (10, 12, 14)  # the evaluator's own copy of these rules is the one that counts
BUDGET = 300


def relax(centres, radius, step):
    """One repulsion step: circles of the given radius that overlap are pushed apart by `step` times their overlap,
    then every centre is kept at least `radius` from the walls. Returns the new centres."""
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
    """Radii for fixed centres: each circle starts touching its nearest wall, then every overlapping pair (in index
    order) shrinks both of its radii in proportion until they touch. The result is always a valid packing."""
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


# EVOLVE-BLOCK-START
def pack(n, budget):
    """Returns n circles (x, y, r) inside the unit square, using at most `budget` calls of relax() and radii()."""
    rows = 3
    margin = 0.15
    stagger = 0.5
    radius = 0.12
    inflate = 1.003
    step = 0.5
    decay = 0.99
    check_every = 10
    cols = (n + rows - 1) // rows
    centres = []
    for k in range(n):
        row, col = k // cols, k % cols
        shift = stagger * (row % 2)
        x = margin + (1 - 2 * margin) * (col + 0.5 + shift) / cols
        y = margin + (1 - 2 * margin) * (row + 0.5) / rows
        centres.append((x, y))
    best_r = radii(centres)
    best, best_c = sum(best_r), centres
    used = 1
    while used < budget:
        centres = relax(centres, radius, step)
        used += 1
        radius = radius * inflate
        step = step * decay
        if used % check_every == 0 and used < budget:
            r = radii(centres)
            used += 1
            if sum(r) > best:
                best, best_c, best_r = sum(r), centres, r
    return [(x, y, r) for (x, y), r in zip(best_c, best_r)]
# EVOLVE-BLOCK-END
