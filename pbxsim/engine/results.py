"""Result and snapshot types returned by `Engine` queries (originates, queues, conferences)."""

from __future__ import annotations

from dataclasses import dataclass

from pbxsim.engine.model import (
    ChannelSnapshot,
    QueueMemberSnapshot,
)


@dataclass(frozen=True, slots=True)
class OriginateOutcome:
    """How an originate ended: Asterisk's Originate `reason` (4 answered, 5 busy, 3 no answer,
    8 congestion, 0 failed) and the `;1` channel (None if it never came up)."""

    reason: int
    channel: ChannelSnapshot | None
    cause: int = 0

    @property
    def answered(self) -> bool:
        """True when the far end answered (reason 4)."""
        return self.reason == 4


@dataclass(frozen=True, slots=True)
class QueueEntrySnapshot:
    """A caller waiting in a queue, as QueueStatus's QueueEntry describes it."""

    queue: str
    position: int
    channel: ChannelSnapshot
    wait: int


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue's parameters, counters, members and waiting callers (QueueParams + lists)."""

    name: str
    strategy: str
    max_len: int
    calls: int
    hold_time: int
    talk_time: int
    completed: int
    abandoned: int
    service_level: int
    service_level_perf: float
    service_level_perf2: float
    weight: int
    members: tuple[QueueMemberSnapshot, ...]
    entries: tuple[QueueEntrySnapshot, ...]


@dataclass(frozen=True, slots=True)
class ConferenceUserSnapshot:
    """A ConfBridge participant as ConfbridgeList describes it."""

    conference: str
    channel: ChannelSnapshot
    admin: bool
    marked: bool
    wait_marked: bool
    end_marked: bool
    waiting: bool
    muted: bool
    talking: bool
    answered_time: int


@dataclass(frozen=True, slots=True)
class ConferenceSnapshot:
    """A ConfBridge room as ConfbridgeListRooms describes it."""

    name: str
    bridge_id: str
    parties: int
    marked: int
    locked: bool
    muted: bool
    users: tuple[ConferenceUserSnapshot, ...]
