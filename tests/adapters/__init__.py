"""Tests of the adapters, mirroring adapters/."""
