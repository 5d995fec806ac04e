"""Recorded sessions: the SQLite database (`db`, schema in SCHEMA.md), the recorder sink,
readers, exports, imports and the coach's per-spot history on the database."""
