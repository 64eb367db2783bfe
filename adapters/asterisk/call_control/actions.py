"""Sans-I/O: which AMI action (and headers) carries out each call-control operation on Asterisk 22.

Each function returns an `AmiAction`; nothing here touches a socket, so the choices can be checked
against the wire transcripts of the reference Asterisk (`ami_blindtransfer`, `ami_atxfer_*`,
`ami_hold_moh`, `ami_chanspy`, `ami_mixmonitor`, `ami_dtmf_ivr`, `ami_clicktodial`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adapters.asterisk.ami.protocol.actions import FieldValue
from cti_gateway.call_control.destinations import Destination
from cti_gateway.call_control.port import OriginateRequest
from cti_gateway.calls.model import MonitorMode

CORRELATION_VARIABLE = "CTI_ORIGINATE_ID"
"""Channel variable set by every gateway Originate; its VarSet event names the new channel's Uniqueid."""

_CHANSPY_OPTIONS = {MonitorMode.LISTEN: "qE", MonitorMode.WHISPER: "qwE", MonitorMode.BARGE: "qBE"}
_RECORDING_NAME = re.compile(r"[A-Za-z0-9_.-]{1,120}\Z")
_APPLICATION_ARGUMENT_SEPARATORS = re.compile(r"[,|()]")


class UnusableChannelName(ValueError):
    """A channel name that cannot be passed as a dialplan application argument (it holds `,`, `|` or `()`)."""


@dataclass(frozen=True, slots=True)
class AmiAction:
    """One AMI action: its name and its headers (ActionID is added by the client)."""

    name: str
    fields: Mapping[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DialplanSettings:
    """Where the gateway sends calls in the deployment's dialplan.

    `outbound_context` places click-to-call legs and reconnects held calls (the reference rig's
    `dial-out`: 1XXX rings an agent, other numbers a customer); `transfer_context` receives blind and
    attended transfers (the outbound context when empty). An E.164 number is dialled without its `+`,
    prefixed with `e164_prefix` (say "+" to keep it, "00" for an international prefix).
    """

    outbound_context: str = "dial-out"
    transfer_context: str = ""
    e164_prefix: str = ""
    recording_directory: str = ""
    dtmf_duration_ms: int = 100
    conference_context: str = "conf"
    conference_room_prefix: str = "room"
    atxfer_swap_digits: str = "*4"

    def extension_for(self, destination: Destination) -> str:
        """The dialplan extension that reaches `destination`."""
        if destination.kind == "e164":
            return self.e164_prefix + destination.value.removeprefix("+")
        return destination.value

    @property
    def transfers_to(self) -> str:
        return self.transfer_context or self.outbound_context

    def conference_extension(self, room: str) -> str:
        """The extension of `conference_context` that runs ConfBridge(room) (the rig's `_room.`)."""
        return room if room.startswith(self.conference_room_prefix) else self.conference_room_prefix + room


def agent_extension(endpoint: str) -> str:
    """The extension that rings an agent's phone: `PJSIP/1001` and `Local/1001@agents` give 1001."""
    resource = endpoint.partition("/")[2]
    return resource.partition("@")[0]


def originate(request: OriginateRequest, dialplan: DialplanSettings) -> AmiAction:
    """Click-to-call: ring the agent's phone, then run `outbound_context,<number>` on its channel."""
    fields: dict[str, FieldValue] = {
        "Channel": request.endpoint,
        "Context": dialplan.outbound_context,
        "Exten": dialplan.extension_for(request.destination),
        "Priority": 1,
        "Timeout": int(request.ring_timeout_seconds * 1000),
        "Variable": [
            f"{CORRELATION_VARIABLE}={request.correlation_id}",
            *(f"{name}={value}" for name, value in request.channel_variables),
        ],
        "Async": "true",
    }
    return AmiAction("Originate", fields)


def hang_up(channel: str) -> AmiAction:
    """Normal clearing of one channel."""
    return AmiAction("Hangup", {"Channel": channel, "Cause": 16})


def play_digit(channel: str, digit: str, dialplan: DialplanSettings) -> AmiAction:
    """One DTMF digit sent out of `channel` towards its phone or dialplan (not through bridge features)."""
    return AmiAction("PlayDTMF", {"Channel": channel, "Digit": digit, "Duration": dialplan.dtmf_duration_ms})


def blind_transfer(transferer: str, destination: Destination, dialplan: DialplanSettings) -> AmiAction:
    """BlindTransfer sends the transferer's bridge partner to the transfer context; the transferer drops."""
    return AmiAction(
        "BlindTransfer",
        {
            "Channel": transferer,
            "Context": dialplan.transfers_to,
            "Exten": dialplan.extension_for(destination),
        },
    )


def park(held: str, holder: str) -> AmiAction:
    """Hold by parking: the held party hears the lot's music; unretrieved, it rings the holder back."""
    return AmiAction("Park", {"Channel": held, "TimeoutChannel": holder})


def reconnect_with_agent(held: str, agent_endpoint: str, dialplan: DialplanSettings) -> AmiAction:
    """Retrieve: send the parked party to the outbound context, which dials the agent's extension again."""
    return AmiAction(
        "Redirect",
        {
            "Channel": held,
            "Context": dialplan.outbound_context,
            "Exten": agent_extension(agent_endpoint),
            "Priority": 1,
        },
    )


def attended_transfer(transferer: str, destination: Destination, dialplan: DialplanSettings) -> AmiAction:
    """Atxfer: Asterisk holds the partner and dials the target from the transferer (needs `atxfer`)."""
    return AmiAction(
        "Atxfer",
        {
            "Channel": transferer,
            "Context": dialplan.transfers_to,
            "Exten": dialplan.extension_for(destination),
        },
    )


def cancel_attended_transfer(transferer: str) -> AmiAction:
    """CancelAtxfer: the consulted party is dropped and the transferer returns to its partner."""
    return AmiAction("CancelAtxfer", {"Channel": transferer})


def spy(spied: str, supervisor_endpoint: str, mode: MonitorMode) -> AmiAction:
    """Ring the supervisor and run ChanSpy on the agent's channel: q quiet, w whisper, B barge, E exit."""
    if _APPLICATION_ARGUMENT_SEPARATORS.search(spied):
        raise UnusableChannelName(f"channel {spied!r} cannot be spied on by name: it holds , | or ()")
    return AmiAction(
        "Originate",
        {
            "Channel": supervisor_endpoint,
            "Application": "ChanSpy",
            "Data": f"{spied},{_CHANSPY_OPTIONS[mode]}",
            "Timeout": 30000,
            "Async": "true",
        },
    )


def start_recording(channel: str, recording_name: str, dialplan: DialplanSettings) -> AmiAction:
    """MixMonitor: both directions mixed into one wav file (in `recording_directory` when set)."""
    if not _RECORDING_NAME.match(recording_name):
        raise ValueError(f"recording name {recording_name!r} must be 1-120 letters, digits, '.', '_' or '-'")
    directory = dialplan.recording_directory.rstrip("/")
    path = f"{directory}/{recording_name}.wav" if directory else f"{recording_name}.wav"
    return AmiAction("MixMonitor", {"Channel": channel, "File": path})


def stop_recording(channel: str) -> AmiAction:
    return AmiAction("StopMixMonitor", {"Channel": channel})


def mute_recording(channel: str, muted: bool) -> AmiAction:
    """MixMonitor has no pause; muting both directions writes silence, which is what a pause must achieve."""
    return AmiAction("MixMonitorMute", {"Channel": channel, "Direction": "both", "State": 1 if muted else 0})


def swap_digit(transferer: str, digit: str) -> AmiAction:
    """One digit of the `atxferswap` feature, fed to the transferer as if its phone had sent it."""
    return AmiAction("PlayDTMF", {"Channel": transferer, "Digit": digit, "Receive": "true"})


def redirect_to_conference(channels: Sequence[str], room: str, dialplan: DialplanSettings) -> list[AmiAction]:
    """Redirect the channels into the room, two at a time (ExtraChannel) so a bridged pair moves together."""
    context, exten = dialplan.conference_context, dialplan.conference_extension(room)
    found: list[AmiAction] = []
    for index in range(0, len(channels), 2):
        fields: dict[str, FieldValue] = {
            "Channel": channels[index],
            "Context": context,
            "Exten": exten,
            "Priority": 1,
        }
        if index + 1 < len(channels):
            fields |= {
                "ExtraChannel": channels[index + 1],
                "ExtraContext": context,
                "ExtraExten": exten,
                "ExtraPriority": 1,
            }
        found.append(AmiAction("Redirect", fields))
    return found


def ring_into_conference(destination: Destination, room: str, dialplan: DialplanSettings) -> AmiAction:
    """Originate `Local/<number>@<outbound_context>`; once answered its `;1` runs ConfBridge(room)."""
    return AmiAction(
        "Originate",
        {
            "Channel": f"Local/{dialplan.extension_for(destination)}@{dialplan.outbound_context}",
            "Context": dialplan.conference_context,
            "Exten": dialplan.conference_extension(room),
            "Priority": 1,
            "Timeout": 30000,
            "Async": "true",
        },
    )


def mute_audio(channel: str, muted: bool) -> AmiAction:
    """MuteAudio on the inbound stream: what the phone says no longer reaches the bridge."""
    return AmiAction("MuteAudio", {"Channel": channel, "Direction": "in", "State": "on" if muted else "off"})
