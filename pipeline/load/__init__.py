"""Load: writing charts into the EMR tables, and exporting them (JSON lines, CSV)."""
