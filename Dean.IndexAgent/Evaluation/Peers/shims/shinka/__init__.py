"""DEAN's stand-in for the parts of ShinkaEvolve an evaluator imports (the package itself is not installed)."""
