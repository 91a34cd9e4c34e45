"""Extraction: chart fields from OCR words, through a spaCy Doc that keeps every word's box."""
