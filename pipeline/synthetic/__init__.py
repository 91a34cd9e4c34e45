"""Synthetic scanned inpatient charts with known truth, for tests, benchmarks and the demo."""

from pipeline.synthetic.content import FIELD_KEYS, ChartTruth, load_truth
from pipeline.synthetic.generate import generate_charts

__all__ = ["FIELD_KEYS", "ChartTruth", "generate_charts", "load_truth"]
