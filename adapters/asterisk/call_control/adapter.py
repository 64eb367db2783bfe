"""`AsteriskCallControl`: the core's `CallControl` port over AMI, against real Asterisk 22 semantics.

Hold is done by parking (AMI has no hold action for dialplan channels; see docs/api.md), retrieve by
redirecting the parked party back to the agent's extension through the outbound context.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from adapters.asterisk.ami.errors import (
    AmiActionFailed,
    AmiConnectionLost,
    AmiInvalidAction,
    AmiNotConnected,
)
from adapters.asterisk.ami.protocol.actions import FieldValue
from adapters.asterisk.ami.protocol.frames import AmiMessage
from adapters.asterisk.call_control import actions
from adapters.asterisk.call_control.actions import AmiAction, DialplanSettings
from cti_gateway.call_control.destinations import Destination
from cti_gateway.call_control.errors import OriginateFailed, PbxRefused, PbxUnavailable
from cti_gateway.call_control.port import CallControl, OriginatedLeg, OriginateRequest
from cti_gateway.calls.model import MonitorMode
from cti_gateway.ports.pbx import EventHandler, PbxEvent

log = logging.getLogger(__name__)

ORIGINATE_REASONS = {
    "0": "no such number, rejected or failed",
    "1": "no answer (hung up before answer)",
    "3": "no answer (ring timeout)",
    "5": "busy",
    "8": "congestion or unreachable",
}
_REMEMBERED_FAILURES = 256


class AmiSession(Protocol):
    """The part of `AmiClient` call control uses: send actions, watch events."""

    async def send_action(self, action: str, /, **fields: FieldValue) -> AmiMessage: ...

    def on_event(self, handler: EventHandler) -> None: ...


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


class AsteriskCallControl:
    """Carries out call-control operations by AMI; register it before the link starts (it watches events)."""

    def __init__(
        self,
        ami: AmiSession,
        dialplan: DialplanSettings | None = None,
        *,
        originate_wait_seconds: float = 10.0,
    ) -> None:
        self._ami = ami
        self.dialplan = dialplan or DialplanSettings()
        self._originate_wait = originate_wait_seconds
        self._waiting_for_leg: dict[str, asyncio.Future[OriginatedLeg]] = {}
        self._failed_originates: OrderedDict[str, str] = OrderedDict()
        ami.on_event(self._watch)

    # the port ---------------------------------------------------------------------------------

    async def originate(self, request: OriginateRequest) -> OriginatedLeg:
        leg: asyncio.Future[OriginatedLeg] = asyncio.get_running_loop().create_future()
        self._waiting_for_leg[request.correlation_id] = leg
        try:
            response = await self._send(actions.originate(request, self.dialplan))
            action_id = response.action_id or ""
            failure = self._failed_originates.pop(action_id, None)
            if failure is not None and not leg.done():
                raise self._originate_failed(request, failure)
            self._waiting_for_leg[action_id] = leg
            try:
                async with asyncio.timeout(self._originate_wait):
                    return await leg
            except TimeoutError:
                raise OriginateFailed(
                    f"Asterisk accepted the Originate to {request.endpoint} but created no channel within "
                    f"{self._originate_wait:g} s; check that the endpoint exists and is reachable",
                    "timeout",
                ) from None
            finally:
                self._waiting_for_leg.pop(action_id, None)
        finally:
            self._waiting_for_leg.pop(request.correlation_id, None)

    async def hang_up(self, channel: str) -> None:
        await self._send(actions.hang_up(channel))

    async def send_dtmf(self, channel: str, digits: str) -> None:
        for digit in digits:
            await self._send(actions.play_digit(channel, digit, self.dialplan))

    async def blind_transfer(self, transferer: str, destination: Destination) -> None:
        await self._send(actions.blind_transfer(transferer, destination, self.dialplan))

    async def hold(self, held: str, holder: str) -> None:
        await self._send(actions.park(held, holder))

    async def retrieve(self, held: str, agent_endpoint: str) -> None:
        await self._send(actions.reconnect_with_agent(held, agent_endpoint, self.dialplan))

    async def start_attended_transfer(self, transferer: str, destination: Destination) -> None:
        await self._send(actions.attended_transfer(transferer, destination, self.dialplan))

    async def complete_attended_transfer(self, transferer: str) -> None:
        # Hanging up the transferer during the consultation completes it (AttendedTransfer Result Success).
        await self._send(actions.hang_up(transferer))

    async def cancel_attended_transfer(self, transferer: str) -> None:
        await self._send(actions.cancel_attended_transfer(transferer))

    async def swap_attended_transfer(self, transferer: str) -> None:
        for digit in self.dialplan.atxfer_swap_digits:
            await self._send(actions.swap_digit(transferer, digit))

    async def move_to_conference(self, channels: Sequence[str], room: str) -> None:
        for action in actions.redirect_to_conference(channels, room, self.dialplan):
            await self._send(action)

    async def add_to_conference(self, destination: Destination, room: str) -> None:
        await self._send(actions.ring_into_conference(destination, room, self.dialplan))

    async def mute(self, channel: str, muted: bool) -> None:
        await self._send(actions.mute_audio(channel, muted))

    async def monitor(self, spied: str, supervisor_endpoint: str, mode: MonitorMode) -> None:
        try:
            action = actions.spy(spied, supervisor_endpoint, mode)
        except actions.UnusableChannelName as exc:
            raise PbxRefused(str(exc)) from None
        await self._send(action)

    async def start_recording(self, channel: str, recording_name: str) -> None:
        await self._send(actions.start_recording(channel, recording_name, self.dialplan))

    async def stop_recording(self, channel: str) -> None:
        await self._send(actions.stop_recording(channel))

    async def pause_recording(self, channel: str, paused: bool) -> None:
        await self._send(actions.mute_recording(channel, paused))

    # plumbing ---------------------------------------------------------------------------------

    async def _send(self, action: AmiAction) -> AmiMessage:
        try:
            return await self._ami.send_action(action.name, **action.fields)
        except AmiNotConnected as exc:
            raise PbxUnavailable(f"{exc}; nothing was sent") from None
        except AmiConnectionLost:
            raise PbxUnavailable(
                f"the AMI link dropped while {action.name} was pending; it may or may not have run"
            ) from None
        except AmiActionFailed as exc:
            message = exc.response.get("Message") or "no reason given"
            raise PbxRefused(f"Asterisk refused {action.name}: {message}") from None
        except AmiInvalidAction as exc:
            raise PbxRefused(str(exc)) from None

    def _watch(self, event: PbxEvent) -> None:
        if event.name == "VarSet":
            if _text(event.fields, "Variable") != actions.CORRELATION_VARIABLE:
                return
            leg = self._waiting_for_leg.get(_text(event.fields, "Value"))
            if leg is not None and not leg.done():
                leg.set_result(
                    OriginatedLeg(
                        unique_id=_text(event.fields, "Uniqueid"),
                        channel=_text(event.fields, "Channel"),
                        linked_id=_text(event.fields, "Linkedid"),
                    )
                )
        elif event.name == "OriginateResponse" and _text(event.fields, "Response") != "Success":
            action_id = _text(event.fields, "ActionID")
            reason = _text(event.fields, "Reason")
            leg = self._waiting_for_leg.get(action_id)
            if leg is None:
                self._failed_originates[action_id] = reason
                while len(self._failed_originates) > _REMEMBERED_FAILURES:
                    self._failed_originates.popitem(last=False)
            elif not leg.done():
                leg.set_exception(
                    OriginateFailed(
                        f"Asterisk could not ring {_text(event.fields, 'Channel')}: "
                        f"{ORIGINATE_REASONS.get(reason, 'reason ' + reason)}",
                        reason,
                    )
                )

    @staticmethod
    def _originate_failed(request: OriginateRequest, reason: str) -> OriginateFailed:
        explanation = ORIGINATE_REASONS.get(reason, f"reason {reason}")
        return OriginateFailed(f"Asterisk could not ring {request.endpoint}: {explanation}", reason)


def _check_protocol(control: AsteriskCallControl) -> CallControl:  # mypy proves the port is implemented
    return control
