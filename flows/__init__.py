"""Prefect flows: thin wiring around the plain stage functions of ``pipeline``."""
