"""Tests of the ARI adapter against the recorded Asterisk 22 wire transcripts."""
