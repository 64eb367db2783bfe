"""Fixtures for engine specifications: a fast engine with the `cti` app registered, and a message journal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from pbxsim.engine import Engine, EngineConfig
from pbxsim.engine import messages as m
from pbxsim.engine.model import ChannelSnapshot, PartyId

SPEED = 50.0


def _channel_id(message: m.EngineMessage) -> str | None:
    channel = getattr(message, "channel", None)
    return channel.id if isinstance(channel, ChannelSnapshot) else None


class Journal:
    """Every message the engine published, in order, with helpers to wait for and filter them."""

    def __init__(self, engine: Engine) -> None:
        self.messages: list[m.EngineMessage] = []
        engine.subscribe(self.messages.append)

    def about(self, channel_id: str) -> list[m.EngineMessage]:
        """Messages whose `channel` is the given channel, in publication order."""
        return [msg for msg in self.messages if _channel_id(msg) == channel_id]

    def kinds(self, channel_id: str) -> list[str]:
        """Readable summary of `about()`: class names, VarSets as `VAR=value`, hangup requests with cause."""
        summary = []
        for msg in self.about(channel_id):
            if isinstance(msg, m.ChannelVarSet):
                summary.append(f"{msg.variable}={msg.value}")
            elif isinstance(msg, m.ChannelHangupRequested):
                summary.append(f"HangupRequested({msg.cause}{', soft' if msg.soft else ''})")
            elif isinstance(msg, m.ChannelEnded):
                summary.append(f"Ended({msg.cause})")
            else:
                summary.append(type(msg).__name__)
        return summary

    async def wait_for(
        self, predicate: Callable[[m.EngineMessage], bool], timeout: float = 3.0
    ) -> m.EngineMessage:
        """The first message (already published or yet to come) that satisfies `predicate`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for msg in self.messages:
                if predicate(msg):
                    return msg
            if loop.time() > deadline:
                raise AssertionError("expected engine message was never published")
            await asyncio.sleep(0.005)

    async def stasis_started(self, channel_id: str) -> m.StasisStarted:
        """Wait until the channel entered Stasis."""
        msg = await self.wait_for(lambda x: isinstance(x, m.StasisStarted) and x.channel.id == channel_id)
        assert isinstance(msg, m.StasisStarted)
        return msg

    async def ended(self, channel_id: str) -> m.ChannelEnded:
        """Wait until the channel was destroyed."""
        msg = await self.wait_for(lambda x: isinstance(x, m.ChannelEnded) and x.channel.id == channel_id)
        assert isinstance(msg, m.ChannelEnded)
        return msg


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    pbx = Engine(EngineConfig(speed=SPEED, seed=1))
    await pbx.start()
    pbx.register_application("cti")
    yield pbx
    await pbx.stop()


@pytest.fixture
def journal(engine: Engine) -> Journal:
    return Journal(engine)


async def inbound_stasis_call(
    engine: Engine,
    journal: Journal,
    channel_id: str,
    *,
    dnis: str = "5550100",
    context: str = "util",
    exten: str = "wait",
    caller_id: PartyId | None = None,
) -> None:
    """An inbound call whose `;2` (`channel_id`) runs Stasis(cti,inbound,<dnis>) and is answered by the app;
    its `;1` (`peer-<channel_id>`) then runs `context,exten`."""
    call = asyncio.create_task(
        engine.originate(
            f"Local/{dnis}@stasis-in",
            context=context,
            exten=exten,
            channel_id=f"peer-{channel_id}",
            other_channel_id=channel_id,
            caller_id=caller_id,
        )
    )
    await journal.stasis_started(channel_id)
    engine.answer(channel_id)
    await call


async def app_originated_call(
    engine: Engine,
    journal: Journal,
    channel_id: str,
    endpoint: str = "Local/1001@agents",
    caller_id: PartyId | None = None,
) -> None:
    """An ARI originate with `app=cti` whose `;1` (`channel_id`) is in Stasis once answered."""
    outcome = await engine.originate(
        endpoint,
        app="cti",
        app_args=("agent",),
        channel_id=channel_id,
        other_channel_id=f"{channel_id}-peer",
        caller_id=caller_id,
    )
    assert outcome.reason == 4
    await journal.stasis_started(channel_id)
