"""Outbound dialing: preview, progressive and predictive campaigns (arrives with its own issue)."""
