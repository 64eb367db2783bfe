"""HMAC-SHA256 signatures on webhook deliveries, so a receiver can prove the gateway sent them.

Signed string: `<timestamp>.<event id>.<raw body>`; header `X-CTI-Signature: v1=<hex digest>`.
Receivers should also refuse timestamps older than a few minutes (replays) and dedupe on the event id.
"""

from __future__ import annotations

import hashlib
import hmac

EVENT_ID_HEADER = "X-CTI-Event-Id"
EVENT_TYPE_HEADER = "X-CTI-Event-Type"
TIMESTAMP_HEADER = "X-CTI-Timestamp"
SIGNATURE_HEADER = "X-CTI-Signature"
ATTEMPT_HEADER = "X-CTI-Delivery-Attempt"
SIGNATURE_VERSION = "v1"


def signed_payload(timestamp: int, event_id: str, body: bytes) -> bytes:
    """The exact bytes that are signed."""
    return f"{timestamp}.{event_id}.".encode() + body


def sign(secret: bytes, timestamp: int, event_id: str, body: bytes) -> str:
    """The `X-CTI-Signature` value for one delivery."""
    digest = hmac.new(secret, signed_payload(timestamp, event_id, body), hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify(secret: bytes, timestamp: int, event_id: str, body: bytes, signature: str) -> bool:
    """Whether `signature` was made with `secret` over this delivery (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, event_id, body), signature)


def delivery_headers(
    secret: bytes, timestamp: int, event_id: str, event_type: str, body: bytes, attempt: int
) -> dict[str, str]:
    """Every header a delivery carries."""
    return {
        "Content-Type": "application/json",
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, event_id, body),
        ATTEMPT_HEADER: str(attempt),
    }
