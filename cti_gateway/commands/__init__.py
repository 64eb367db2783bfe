"""CLI sub-commands the main `cti-gateway` app mounts: `tokens` (create, list, revoke) and `events` (viewer).

Like `cti_gateway.cli`, this package is part of the composition root: it may import adapters.
"""
