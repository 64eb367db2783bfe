"""Tests of the AMI adapter: parser, encoder, client against a replay of real Asterisk sessions."""
