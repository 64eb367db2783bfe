"""What call control needs from the PBX, in channel terms; `adapters.asterisk.call_control` implements it.

The service decides *which* channel to act on (from the call model); the port only knows how to ask
Asterisk. Every method raises `PbxUnavailable` when the link is down and `PbxRefused` when Asterisk says no.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cti_gateway.call_control.destinations import Destination
from cti_gateway.calls.model import MonitorMode


@dataclass(frozen=True, slots=True)
class OriginateRequest:
    """Ring `endpoint` (the agent's phone) first; once it answers, dial `destination` from it.

    `correlation_id` travels as a channel variable so that the new channel can be recognised in the
    PBX's event stream, whatever unique id Asterisk gives it.
    """

    endpoint: str
    destination: Destination
    correlation_id: str
    ring_timeout_seconds: float = 30.0
    channel_variables: tuple[tuple[str, str], ...] = ()
    """Extra variables for the new channel (deployment settings, tests); never taken from a request."""


@dataclass(frozen=True, slots=True)
class OriginatedLeg:
    """The first channel of a call the gateway placed, as soon as Asterisk created it."""

    unique_id: str
    channel: str
    linked_id: str


class CallControl(Protocol):
    """Operations on live PBX channels, named by channel name (`Local/1001@agents-0000002a;1`)."""

    async def originate(self, request: OriginateRequest) -> OriginatedLeg:
        """Place a call; returns once the first channel exists. Raises `OriginateFailed` if it could not."""

    async def hang_up(self, channel: str) -> None:
        """End one participant's leg (normal clearing, cause 16)."""

    async def send_dtmf(self, channel: str, digits: str) -> None:
        """Play `digits` towards the phone or dialplan behind `channel`, one after the other."""

    async def blind_transfer(self, transferer: str, destination: Destination) -> None:
        """Send the party bridged with `transferer` to `destination`; `transferer` leaves the call."""

    async def hold(self, held: str, holder: str) -> None:
        """Put `held` on music on hold while `holder` (the agent) is away from it."""

    async def retrieve(self, held: str, agent_endpoint: str) -> None:
        """Reconnect the held `held` channel with the agent whose phone is `agent_endpoint`."""

    async def start_attended_transfer(self, transferer: str, destination: Destination) -> None:
        """Hold the transferer's partner and ring `destination` from `transferer` for a consultation."""

    async def complete_attended_transfer(self, transferer: str) -> None:
        """Connect the held partner with the consulted party; `transferer` leaves the call."""

    async def cancel_attended_transfer(self, transferer: str) -> None:
        """Drop the consulted party and bring `transferer` back to its held partner."""

    async def swap_attended_transfer(self, transferer: str) -> None:
        """Alternate: `transferer` returns to the held partner while the consulted party waits, or back."""

    async def move_to_conference(self, channels: Sequence[str], room: str) -> None:
        """Take `channels` out of whatever bridge they are in and put them all into conference `room`."""

    async def add_to_conference(self, destination: Destination, room: str) -> None:
        """Ring `destination`; once it answers it joins conference `room`."""

    async def mute(self, channel: str, muted: bool) -> None:
        """Stop (or resume) passing what the phone behind `channel` says to the others on the call."""

    async def monitor(self, spied: str, supervisor_endpoint: str, mode: MonitorMode) -> None:
        """Ring the supervisor's phone; once answered it listens to, whispers to or barges into `spied`."""

    async def start_recording(self, channel: str, recording_name: str) -> None:
        """Record both directions of `channel` (mixed) into `recording_name` (no extension; wav)."""

    async def stop_recording(self, channel: str) -> None:
        """Stop the recording of `channel`; the file stays."""

    async def pause_recording(self, channel: str, paused: bool) -> None:
        """Write silence instead of audio while `paused` (e.g. while a card number is read out)."""
