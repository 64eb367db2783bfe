"""Click-to-call with a `webhook_url`: signed status callbacks reach a real receiver, retried after a 500."""

from __future__ import annotations

import json
from pathlib import Path

from cti_gateway.auth.principal import Scope
from cti_gateway.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.cti_gateway.call_control.rig import WEBHOOK_SECRET, control_rig, control_settings, wait_until
from tests.cti_gateway.conftest import Pbx
from tests.cti_gateway.webhooks.receiver import webhook_receiver


async def test_call_status_callbacks_are_signed_and_retried_after_a_500(pbx: Pbx, tmp_path: Path) -> None:
    async with (
        webhook_receiver(500) as receiver,
        control_rig(control_settings(pbx, tmp_path), with_webhooks=True) as rig,
    ):
        headers = await rig.integration_token(Scope.CALLS_WRITE, Scope.CALLS_READ)
        placed = await rig.http.post(
            "/api/v1/calls", json={"from": "1001", "to": "2001", "webhook_url": receiver.url}, headers=headers
        )
        assert placed.status_code == 201, placed.text
        call_id = placed.json()["call_id"]

        def delivered(kind: str) -> bool:
            return any(json.loads(r.body)["type"] == kind and r.answered == 200 for r in receiver.received)

        await wait_until(lambda: delivered("call.answered"), 15, "call.answered delivered")
        await rig.http.post(f"/api/v1/calls/{call_id}/hangup", headers=headers)
        await wait_until(lambda: delivered("call.ended"), 15, "call.ended delivered")

        bodies = [json.loads(r.body) for r in receiver.received]
        assert {b["call_id"] for b in bodies} == {call_id}
        assert bodies[0]["type"] == "call.created" and receiver.received[0].answered == 500
        assert receiver.received[1].headers[EVENT_ID_HEADER.lower()] == bodies[0]["id"]  # the retry
        for received in receiver.received:
            assert verify(
                WEBHOOK_SECRET,
                int(received.headers[TIMESTAMP_HEADER.lower()]),
                received.headers[EVENT_ID_HEADER.lower()],
                received.body,
                received.headers[SIGNATURE_HEADER.lower()],
            )
        first_seen = [b["type"] for i, b in enumerate(bodies) if b["id"] not in {x["id"] for x in bodies[:i]}]
        assert first_seen[0] == "call.created" and first_seen[-1] == "call.ended"
        assert first_seen.count("call.ended") == 1


async def test_a_webhook_url_is_refused_when_the_gateway_has_no_webhook_secret(
    pbx: Pbx, tmp_path: Path
) -> None:
    async with control_rig(control_settings(pbx, tmp_path)) as rig:
        headers = await rig.integration_token(Scope.CALLS_WRITE)
        response = await rig.http.post(
            "/api/v1/calls",
            json={"from": "1001", "to": "2001", "webhook_url": "http://127.0.0.1:1/hook"},
            headers=headers,
        )

        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][-1] == "webhook_url"
        assert rig.actions_named("Originate") == []
