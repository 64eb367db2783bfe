"""Waiting for an event finds it even when Asterisk sent it before the HTTP response (wire INDEX item 27)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.asterisk.ari import AriEventTimeout, decode_event
from adapters.asterisk.ari.events import RecentEvents
from adapters.asterisk.ari.models import AriEvent, StasisStart


def stasis_start(channel_id: str) -> AriEvent:
    return decode_event(
        {"type": "StasisStart", "application": "cti", "args": [], "channel": {"id": channel_id}}
    )


async def test_an_event_that_arrived_before_the_wait_is_found_at_once() -> None:
    recent = RecentEvents()
    recent.record(stasis_start("wire-2001"))
    found = await recent.wait_for(lambda e: isinstance(e, StasisStart) and e.channel.id == "wire-2001", 0.01)
    assert isinstance(found, StasisStart) and found.channel.id == "wire-2001"


async def test_an_event_that_arrives_during_the_wait_wakes_the_waiter() -> None:
    recent = RecentEvents()
    waiting = asyncio.create_task(recent.wait_for(lambda e: e.type == "StasisStart", 1.0))
    await asyncio.sleep(0)
    recent.record(decode_event({"type": "Dial", "peer": {"id": "p"}}))
    await asyncio.sleep(0)
    assert not waiting.done()
    recent.record(stasis_start("wire-in"))
    found = await waiting
    assert isinstance(found, StasisStart) and found.channel.id == "wire-in"


async def test_events_before_a_mark_are_ignored_when_waiting_after_it() -> None:
    recent = RecentEvents()
    recent.record(stasis_start("wire-in"))
    mark = recent.mark()
    with pytest.raises(AriEventTimeout, match=r"within 0\.02 s"):
        await recent.wait_for(lambda e: e.type == "StasisStart", 0.02, after=mark)
    recent.record(stasis_start("wire-in"))
    assert await recent.wait_for(lambda e: e.type == "StasisStart", 0.02, after=mark)


async def test_waiting_for_new_events_only_skips_the_memory() -> None:
    recent = RecentEvents()
    recent.record(stasis_start("wire-in"))
    with pytest.raises(AriEventTimeout):
        await recent.wait_for(lambda e: e.type == "StasisStart", 0.02, after=None)


async def test_events_older_than_the_memory_window_are_forgotten() -> None:
    now = [100.0]
    recent = RecentEvents(keep_seconds=5.0, clock=lambda: now[0])
    recent.record(stasis_start("old"))
    now[0] += 6.0
    assert recent.find(lambda e: e.type == "StasisStart") is None


def test_the_memory_keeps_at_most_max_events() -> None:
    recent = RecentEvents(max_events=2)
    for channel_id in ("a", "b", "c"):
        recent.record(stasis_start(channel_id))
    assert recent.find(lambda e: isinstance(e, StasisStart) and e.channel.id == "a") is None
    assert recent.find(lambda e: isinstance(e, StasisStart) and e.channel.id == "b") is not None


async def test_a_predicate_that_raises_on_other_event_types_simply_does_not_match() -> None:
    recent = RecentEvents()
    recent.record(decode_event({"type": "BridgeDestroyed", "bridge": {"id": "b"}}))
    recent.record(stasis_start("wire-in"))
    found = await recent.wait_for(lambda e: e.channel.id == "wire-in", 0.01)  # type: ignore[attr-defined]
    assert found.type == "StasisStart"


async def test_a_timed_out_waiter_is_removed_and_does_not_leak() -> None:
    recent = RecentEvents()
    with pytest.raises(AriEventTimeout):
        await recent.wait_for(lambda e: False, 0.01)
    assert recent._waiters == []
