"""Benchmarks: `make bench` (= `python -m bench`) runs them against their own PostgreSQL database."""
