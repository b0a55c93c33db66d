"""Benchmarks against the budgets of DESIGN.md: `python -m tests.bench` prints a table (not run by pytest)."""
