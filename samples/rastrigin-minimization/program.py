"""A stochastic search for the global minimum of a shifted 5-D Rastrigin function.

The function has a regular lattice of local minima (about 11^5 of them inside the box); the global one, with value 0,
sits at a point the evaluator chooses per seed, so the search sees the function only through `objective`.
DEAN agents may change only the text between the EVOLVE-BLOCK markers; evaluate.py scores the result.
"""
import math
import random

DIM = 5  # the evaluator keeps its own copy of DIM and of rastrigin(); these are for reading and local runs
LOWER = -5.12
UPPER = 5.12


def rastrigin(z):
    """The unshifted Rastrigin function: 10*n + sum(z_i^2 - 10*cos(2*pi*z_i)), global minimum 0 at z = 0."""
    return 10.0 * len(z) + sum(v * v - 10.0 * math.cos(2.0 * math.pi * v) for v in z)


# EVOLVE-BLOCK-START
def search(objective, dim, budget, seed):
    """Returns the best point (a list of `dim` floats) found with at most `budget` calls of objective(point)."""
    rng = random.Random(seed)
    start_step = 2.0
    samples = 8
    mutate_share = 1.0
    grow = 1.3
    shrink = 0.7
    min_step = 0.05
    temperature = 1.0
    cooling = 0.99
    patience = 20
    restart_step = 0.5
    current = [rng.uniform(LOWER, UPPER) for _ in range(dim)]
    value = objective(current)
    used = 1
    best, best_value = current, value
    step = start_step
    stall = 0
    while used + samples <= budget:
        trials = []
        for _ in range(samples):
            point = [c + rng.gauss(0.0, step) if rng.random() < mutate_share else c for c in current]
            trials.append((objective(point), point))
        used += samples
        trial_value, trial = min(trials)
        if trial_value < value:
            current, value = trial, trial_value
            step = step * grow
            stall = 0
        elif rng.random() < math.exp((value - trial_value) / temperature):
            current, value = trial, trial_value
            stall += 1
        else:
            step = step * shrink
            stall += 1
        if value < best_value:
            best, best_value = current, value
        step = max(step, min_step)
        temperature = temperature * cooling
        if stall > patience:
            current, value = best, best_value
            step = start_step * restart_step
            stall = 0
    return best
# EVOLVE-BLOCK-END
