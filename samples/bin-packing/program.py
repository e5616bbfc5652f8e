"""An online bin-packing heuristic: items arrive one at a time and each must be placed before the next is seen.

For every item the evaluator calls choose(item, bins, capacity), where `bins` holds the remaining space of every bin
opened so far (oldest first); the answer is the index of a bin with room for the item, or -1 to open a new bin.
Bins are never closed. The aim is to use as few bins as possible. The item sets mix two classic kinds: uniformly
random sizes (capacity 150, sizes 20..100) and "triplets" (capacity 1000, items that fill every bin exactly in threes).
DEAN agents may change only the text between the EVOLVE-BLOCK markers; evaluate.py scores the result.
"""


# EVOLVE-BLOCK-START
def choose(item, bins, capacity):
    """Returns the index of the open bin to put `item` in (its remaining space must be >= item), or -1 for a new bin."""
    tight = 1.0
    fill = 0.2
    sliver = 0.08
    sliver_cost = 0.1
    exact = 0.2
    exact_tol = 0.005
    open_below = -0.8
    best, best_score = -1, open_below
    for k, space in enumerate(bins):
        if space < item:
            continue
        gap = (space - item) / capacity
        score = fill * (1 - space / capacity) - tight * gap
        if gap < exact_tol:
            score += exact
        elif gap < sliver:
            score -= sliver_cost
        if score > best_score:
            best, best_score = k, score
    return best
# EVOLVE-BLOCK-END
