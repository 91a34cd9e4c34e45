"""Schemas: the EMR target tables and their migrations, the field catalogue, the export format."""
