"""Self-contained HTML reports: one session (`report`) and each spot over the days (`history`)."""
