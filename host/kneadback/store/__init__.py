"""Recorded sessions: the SQLite database (`db`, schema in SCHEMA.md), the recorder sink,
readers, exports, imports and the coach's per-spot history on the database."""

EXPORT_FORMATS = ("csv", "json", "edf")  # what `store.export` writes; here, light, for the command line
# what an export holds: the signal, or one row per stroke (a CSV table, as a spreadsheet wants it)
EXPORT_TABLES = ("samples", "strokes")
