"""Shared test helpers: reference transcripts, free ports, process control."""
