"""Patchbay's benchmarks (`make bench`, `python -m bench`): one line each, see bench/catalog.py."""
