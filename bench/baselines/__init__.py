"""Baseline servers the benchmark measures odrchat against."""
