"""Hatch's benchmark; run it with bench/run (see bench/__main__.py)."""
