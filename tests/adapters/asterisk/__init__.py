"""Tests of the Asterisk adapters."""
