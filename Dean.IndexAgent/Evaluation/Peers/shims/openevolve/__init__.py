"""DEAN's stand-in for the parts of OpenEvolve an evaluator imports (the package itself is not installed)."""
