"""Ingest: find scans in a bucket or folder, copy them to scratch, hash them, split them into pages."""
