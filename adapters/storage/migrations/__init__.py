"""Alembic migrations for the gateway schema; run them with `adapters.storage.upgrade_database`."""
