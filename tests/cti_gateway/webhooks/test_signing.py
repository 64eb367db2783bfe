"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<event id>.<body>` in `X-CTI-Signature: v1=<hex>`."""

from __future__ import annotations

import hashlib
import hmac

from cti_gateway.webhooks import sign, signed_payload, verify

SECRET = b"s3cret"


def test_the_signature_is_hmac_sha256_of_timestamp_event_id_and_body() -> None:
    body = b'{"type":"call.answered"}'
    expected = hmac.new(SECRET, b"1700000000.ev1." + body, hashlib.sha256).hexdigest()

    assert signed_payload(1700000000, "ev1", body) == b"1700000000.ev1." + body
    assert sign(SECRET, 1700000000, "ev1", body) == f"v1={expected}"


def test_a_receiver_accepts_the_genuine_delivery_and_rejects_any_change() -> None:
    body = b'{"type":"call.ended"}'
    signature = sign(SECRET, 1700000000, "ev2", body)

    assert verify(SECRET, 1700000000, "ev2", body, signature)
    assert not verify(SECRET, 1700000000, "ev2", body + b" ", signature)
    assert not verify(SECRET, 1700000001, "ev2", body, signature)
    assert not verify(SECRET, 1700000000, "ev3", body, signature)
    assert not verify(b"other", 1700000000, "ev2", body, signature)
