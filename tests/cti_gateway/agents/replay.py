"""Replay recorded Asterisk 22 sessions through a call tracker and an `AgentStateService`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.asterisk.ami.protocol.frames import AmiFrameParser, AmiMessage
from adapters.asterisk.ami.resync import build_snapshot
from cti_gateway.agents import AgentStateService
from cti_gateway.calls import CallTracker
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.ports.pbx import PbxEvent, PbxSnapshot
from cti_gateway.screen_pops import Agent, AgentDirectory
from tests.cti_gateway.calls.recordings import wire_events
from tests.support.wire import load_wire_scenario

REFERENCE_AGENTS = tuple(
    Agent(str(n), f"Agent {n}", f"Local/{n}@agents") for n in (*range(1001, 1012), 1998, 1999)
)
"""The simulated phones of the reference dialplan, each configured as an agent."""


def reference_queue_status() -> PbxSnapshot:
    """The snapshot a resync builds from the first QueueStatus reply recorded on the reference Asterisk.

    It holds the static members of queues.conf: 1001-1003 in sales, 1004, 1005 and 1001 in support.
    """
    scenario = load_wire_scenario("ami_queue_actions")
    parser = AmiFrameParser()
    members: list[AmiMessage] = []
    for frame in scenario.frames_of("ami", "recv"):
        for message in parser.feed(frame.data.encode()):
            if isinstance(message, AmiMessage) and message.fields.get("ActionID") == "wire-2":
                members.append(message)
    return build_snapshot([], members)


@dataclass
class AgentReplay:
    """A tracker and a state service wired as the gateway wires them, with everything they emitted."""

    directory: AgentDirectory
    emitted: list[CtiEvent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.states = AgentStateService(self.directory.agent_for, self.emitted.append)
        self.tracker = CallTracker(self.states, self.directory.agent_for)
        self.states.bind(self.tracker)

    def feed(self, events: Iterable[PbxEvent]) -> None:
        for event in events:
            self.tracker.apply(event)
            self.states.apply(event)

    def resync(self, snapshot: PbxSnapshot) -> None:
        self.tracker.replace_with(snapshot)
        self.states.replace_with(snapshot)

    def changes(self, agent_id: str | None = None) -> list[dict[str, Any]]:
        """`agent.state_changed` data in emission order (optionally of one agent)."""
        return [
            dict(e.data)
            for e in self.emitted
            if e.type is EventType.AGENT_STATE_CHANGED
            and (agent_id is None or e.data["agent_id"] == agent_id)
        ]

    def transitions(self, agent_id: str) -> list[tuple[str | None, str, str | None]]:
        return [(c["previous"], c["state"], c["reason"]) for c in self.changes(agent_id)]


def replay(
    scenario: str, *, agents: Iterable[Agent] = REFERENCE_AGENTS, snapshot: PbxSnapshot | None = None
) -> AgentReplay:
    """Replay one wire scenario, after `snapshot` (as at the gateway's connect) when given."""
    replayed = AgentReplay(AgentDirectory(agents))
    if snapshot is not None:
        replayed.resync(snapshot)
        replayed.emitted.clear()
    replayed.feed(wire_events(scenario))
    return replayed
