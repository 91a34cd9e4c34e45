"""Ingest: find scans in a bucket or folder, copy and hash them, split them into pages."""
