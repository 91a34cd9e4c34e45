"""Synthetic scanned inpatient charts with known truth, for tests, benchmarks and the demo."""
