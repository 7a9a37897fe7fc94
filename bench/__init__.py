"""Benchmarks that time the press office app with realistic amounts of data."""
