"""A stochastic search for the global minimum of a bumpy 2-D function.

DEAN agents may change only the text between the EVOLVE-BLOCK markers; evaluate.py scores the result.
"""
import math
import random


def objective(x, y):
    # Many local minima; the global one is near (-1.704, 0.678) with value about -1.519.
    return math.sin(x) * math.cos(y) + math.sin(x * y) + (x * x + y * y) / 20


# EVOLVE-BLOCK-START
def search(seed, budget):
    """Returns the best (x, y) found using at most `budget` objective evaluations."""
    rng = random.Random(seed)
    best_x = rng.uniform(-5, 5)
    best_y = rng.uniform(-5, 5)
    best = objective(best_x, best_y)
    step = 2.0
    shrink = 0.999
    restart_every = 1000
    for i in range(1, budget):
        if i % restart_every == 0:
            x = rng.uniform(-5, 5)
            y = rng.uniform(-5, 5)
        else:
            x = best_x + rng.gauss(0, step)
            y = best_y + rng.gauss(0, step)
        value = objective(x, y)
        if value < best:
            best_x, best_y, best = x, y, value
        step = step * shrink
    return best_x, best_y
# EVOLVE-BLOCK-END
