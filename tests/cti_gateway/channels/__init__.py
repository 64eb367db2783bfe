"""Tests of the live channel registry."""
