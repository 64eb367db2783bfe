"""`GET /channels` + `GET /bridges` become the core's `PbxSnapshot`, each channel tagged with its bridge."""

from __future__ import annotations

import json

from adapters.asterisk.ari import build_snapshot
from adapters.asterisk.ari.models import Bridge, Channel
from tests.adapters.asterisk.ari.wire_replay import load_ari_recording


def recorded_bodies(scenario: str, method: str, path: str) -> list[dict[str, object]]:
    return [
        json.loads(x.response["body"])
        for x in load_ari_recording(scenario).exchanges
        if (x.request["method"], x.request["path"]) == (method, path) and x.response["status"] == 200
    ]


def test_a_snapshot_holds_every_channel_in_core_words_with_its_bridge() -> None:
    bridge = Bridge.model_validate(recorded_bodies("ari_bridge_agent", "GET", "/ari/bridges/wire-acd")[0])
    caller = Channel.model_validate(
        recorded_bodies("ari_inbound_stasis_ivr", "GET", "/ari/channels/wire-in")[0]
    ).model_copy(update={"id": "wire-caller"})
    lonely = Channel.model_validate(
        recorded_bodies("ari_external_transfer", "GET", "/ari/channels/wire-xfer")[0]
    )

    snapshot = build_snapshot([caller, lonely], [bridge])

    assert snapshot.source == "ari"
    assert snapshot.bridges == ("wire-acd",)
    first, second = snapshot.channels
    assert (first.unique_id, first.bridge_id, first.state) == ("wire-caller", "wire-acd", "Up")
    assert (first.caller_number, first.caller_name) == ("5551300", "Wire Inbound")
    assert (first.context, first.extension, first.application) == ("stasis-in", "5550100", "Stasis")
    assert first.name == "Local/5550100@stasis-in-000000da;2"
    assert (second.unique_id, second.bridge_id) == ("wire-xfer", "")
    assert second.connected_name == "Wire Transfer"


def test_an_idle_asterisk_gives_an_empty_snapshot() -> None:
    snapshot = build_snapshot([], [])
    assert (snapshot.channels, snapshot.bridges) == ((), ())
