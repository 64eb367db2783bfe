"""Calls, their parties and the data attached to them, as desktops and the REST API see them.

A `Call` is one customer interaction with a stable `call_id`; it survives queueing, consults,
transfers and conferences. Each `Party` is one participant (a phone, a customer, an agent), whose
channel is the one Asterisk reports in Dial/Bridge/Hangup events (for a Local pair, the `;1` half).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PartyRole(StrEnum):
    """What a participant is to the contact center."""

    CALLER = "caller"
    AGENT = "agent"
    EXTERNAL = "external"
    SUPERVISOR = "supervisor"


class PartyState(StrEnum):
    """Where a participant stands; `ENDED` is final and carries a hangup cause."""

    RINGING = "ringing"
    TALKING = "talking"
    HELD = "held"
    ENDED = "ended"


class MonitorMode(StrEnum):
    """How a supervisor takes part: hears both sides, talks to the agent only, or talks to both.

    The monitor REST API asks for one; the tracker reads it from ChanSpy's options (`q`, `w`/`W`, `B`).
    """

    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


class CallDirection(StrEnum):
    """Inbound: a customer called us; outbound: we called out (click-to-call, dialer); internal otherwise."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class CallAction(StrEnum):
    """Buttons a desktop may enable; each names a `/api/v1/calls/{id}/...` operation."""

    HANGUP = "hangup"
    HOLD = "hold"
    RETRIEVE = "retrieve"
    DTMF = "dtmf"
    TRANSFER = "transfer"
    CONFERENCE = "conference"
    REMOVE = "remove"
    MUTE = "mute"
    UNMUTE = "unmute"
    MONITOR = "monitor"
    RECORD = "record"


class TransferKind(StrEnum):
    """How a call was handed over (data field `kind` of `call.transferred`)."""

    BLIND = "blind"
    ATTENDED = "attended"


class AttachedDataKey(StrEnum):
    """Well-known keys of a call's attached data; any other key is allowed too."""

    ANI = "ani"
    DNIS = "dnis"
    IVR_DIGITS = "ivr_digits"
    CUSTOMER = "customer"
    QUEUE = "queue"


class AttachedData(Mapping[str, Any]):
    """The key/value record that travels with a call through queue, consult, transfer and conference."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(values or {})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"AttachedData({self._values!r})"

    def merge(self, updates: Mapping[str, Any]) -> dict[str, Any]:
        """Apply `updates` (a value of None removes the key); returns only what actually changed."""
        changed: dict[str, Any] = {}
        for key, value in updates.items():
            if value is None:
                if key in self._values:
                    del self._values[key]
                    changed[key] = None
            elif self._values.get(key, _MISSING) != value:
                self._values[key] = value
                changed[key] = value
        return changed

    def as_dict(self) -> dict[str, Any]:
        """A shallow copy, safe to publish."""
        return dict(self._values)


_MISSING = object()


@dataclass(slots=True)
class Party:
    """One participant of a call and the PBX channel that carries it."""

    party_id: str
    role: PartyRole
    channel: str
    unique_id: str
    number: str = ""
    name: str = ""
    agent_id: str | None = None
    endpoint: str | None = None
    state: PartyState = PartyState.RINGING
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_cause: int | None = None
    end_cause_text: str = ""
    monitor_mode: MonitorMode | None = None
    """For a supervisor party: how it monitors, when the PBX told (ARI snoops do not)."""

    @property
    def is_active(self) -> bool:
        return self.state is not PartyState.ENDED


@dataclass(slots=True)
class Call:
    """One customer interaction with a stable id; `linked_id` is the Asterisk Linkedid it started with."""

    call_id: str
    linked_id: str
    direction: CallDirection
    created_at: float
    queue: str | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    end_cause: int | None = None
    end_cause_text: str = ""
    conference: str | None = None
    parties: dict[str, Party] = field(default_factory=dict)
    attached: AttachedData = field(default_factory=AttachedData)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def active_parties(self) -> list[Party]:
        return [party for party in self.parties.values() if party.is_active]
