"""Storage adapter tests (SQLite and PostgreSQL)."""
