"""Asterisk adapters: AMI and ARI links implementing the core's PbxLink port."""
