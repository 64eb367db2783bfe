"""`cti-gateway events`: readable lines, highlighted screen pops, and resume after a disconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cti_gateway.commands import events
from cti_gateway.commands.event_view import print_frame, summary
from cti_gateway.commands.events import EventFollower, StreamRefused
from cti_gateway.hub import DropReason
from tests.cti_gateway.hub.helpers import live_hub, ringing

RINGING = {
    "seq": 1795383258087924,
    "type": "call.ringing",
    "ts": "2026-01-31T09:15:02.120Z",
    "call_id": "1712.4",
    "data": {
        "queue": "sales",
        "parties": [{"role": "caller", "number": "+34600111222", "name": "Eva Ruiz"}],
        "party": {"role": "agent", "agent_id": "1001", "state": "ringing"},
    },
}
POP = {
    "seq": 1795383258087925,
    "type": "screen_pop",
    "ts": "2026-01-31T09:15:02.121Z",
    "call_id": "1712.4",
    "data": {
        "agent_id": "1001",
        "caller": {"number": "+34600111222", "name": "Eva Ruiz"},
        "customer": {"name": "Eva Ruiz", "plan": "50 hours", "offer": "upgrade to the 100-hour plan?"},
        "attached": {"ani": "+34600111222", "queue": "sales"},
    },
}


def rendered(frame: Mapping[str, Any]) -> str:
    console = Console(record=True, width=140)
    print_frame(console, frame)
    return console.export_text()


def test_an_event_is_one_line_with_time_type_call_and_key_facts() -> None:
    [line] = rendered(RINGING).splitlines()

    assert line.startswith("09:15:02.120")
    for fact in (
        "#1795383258087924",
        "call.ringing",
        "call 1712.4",
        "from Eva Ruiz <+34600111222>",
        "queue sales",
    ):
        assert fact in line
    assert line.endswith("agent 1001 ringing")


def test_a_screen_pop_shows_the_customer_record() -> None:
    text = rendered(POP)

    assert "SCREEN POP → agent 1001" in text
    assert "upgrade to the 100-hour plan?" in text
    assert "attached.ani" in text


def test_a_resync_says_why_and_how_many_calls_the_snapshot_holds() -> None:
    frame = {"type": "resync", "data": {"reason": "buffer_exceeded", "snapshot": {"calls": [{}, {}]}}}

    assert summary(frame) == "reason=buffer_exceeded, 2 current call(s)"


async def test_the_viewer_resumes_after_a_disconnect_without_gaps_or_duplicates() -> None:
    frames: list[Mapping[str, Any]] = []
    notices: list[str] = []
    async with live_hub() as live:
        token = await live.agent_token("1001")
        follower = EventFollower(live.url, token, frames.append, notices.append)
        following = asyncio.create_task(follower.run(max_connections=2))
        while len(frames) < 2:  # hello + resync
            await asyncio.sleep(0.01)
        for n in range(3):
            live.hub.publish(ringing(f"call-{n}", "1001"))
        while len(frames) < 5:
            await asyncio.sleep(0.01)
        [subscription] = live.hub.connections("agent:1001")
        subscription.drop(DropReason.SLOW_CONSUMER, "test: pretend the viewer fell behind")
        for n in range(3, 6):
            live.hub.publish(ringing(f"call-{n}", "1001"))  # published while the viewer is away
        while sum(1 for f in frames if f.get("type") == "call.ringing") < 6:
            await asyncio.sleep(0.01)
        following.cancel()

    ringing_frames = [f for f in frames if f.get("type") == "call.ringing"]
    assert [f["call_id"] for f in ringing_frames] == [f"call-{n}" for n in range(6)]
    seqs = [f["seq"] for f in ringing_frames]
    assert seqs == list(range(seqs[0], seqs[0] + 6))
    assert [f["type"] for f in frames].count("hello") == 2
    assert any("4408" in notice and f"resuming after seq {seqs[2]}" in notice for notice in notices)


async def test_the_viewer_stops_on_a_token_the_gateway_refuses() -> None:
    async with live_hub() as live:
        follower = EventFollower(
            live.url, f"cti_0123456789ab_{'x' * 43}", lambda frame: None, lambda notice: None
        )
        with pytest.raises(StreamRefused) as refused:
            await asyncio.wait_for(follower.run(), 10)

    assert refused.value.code == 4401


async def test_the_events_command_exits_2_on_a_bad_token() -> None:
    async with live_hub() as live:
        result = await asyncio.to_thread(
            CliRunner().invoke, events.app, ["--token", "cti_0123456789ab_" + "x" * 43, "--url", live.url]
        )

    assert result.exit_code == 2
    assert "4401" in result.stdout
