"""emr-migrate: scanned paper charts into electronic medical records."""

__version__ = "0.1.0"
