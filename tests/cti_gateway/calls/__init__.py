"""Tests of the call tracker: recorded PBX sessions in, call facts out."""
