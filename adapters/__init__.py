"""Adapters: the gateway's seams to external systems (PBX, store, bus), wired only by the composition root."""
