"""Call control as the REST API offers it: who may do what to which call, and which channel that means.

The service reads calls from the call tracker, checks the caller's rights and the request's fields,
picks the channel(s) to act on and asks the PBX through the `CallControl` port. Idempotency keys make
click-to-call safe to retry; webhook subscriptions are handed to the webhook dispatcher.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from cti_gateway.auth.principal import Principal, PrincipalKind, Scope
from cti_gateway.call_control import schemas
from cti_gateway.call_control.destinations import (
    DEFAULT_MAX_EXTENSION_LENGTH,
    Destination,
    check_endpoint,
    parse_destination,
)
from cti_gateway.call_control.errors import (
    ActionNotAllowed,
    CallControlError,
    CallNotFound,
    IdempotencyConflict,
    IdempotencyKeyReused,
    InvalidField,
    NotYourCall,
    PartyNotFound,
    PbxRefused,
    TransferNotFound,
)
from cti_gateway.call_control.idempotency import (
    ClaimOutcome,
    IdempotencyStore,
    StoredResponse,
    check_idempotency_key,
    request_fingerprint,
)
from cti_gateway.call_control.port import CallControl, OriginateRequest
from cti_gateway.calls.actions import allowed_actions
from cti_gateway.calls.model import AttachedDataKey, Call, CallAction, Party, PartyRole
from cti_gateway.calls.tracker import ATTACHED_VARIABLE_PREFIX
from cti_gateway.calls.view import call_view
from cti_gateway.recordings.model import RecordingOwner
from cti_gateway.recordings.port import RecordingOwners

log = structlog.get_logger(__name__)


class CallSource(Protocol):
    """What call control reads from the call tracker (`cti_gateway.calls.CallTracker` provides it)."""

    def calls(self) -> list[Call]: ...

    def get(self, call_id: str) -> Call | None: ...

    def call_for_channel(self, unique_id_or_name: str) -> Call | None: ...

    def attach(self, call_id: str, updates: Mapping[str, Any]) -> None: ...


class WebhookSubscriptions(Protocol):
    """Where a call's `webhook_url` is registered (`cti_gateway.webhooks.WebhookDispatcher`)."""

    async def subscribe(self, call_id: str, url: str, owner: str) -> None: ...


@dataclass(slots=True)
class _Hold:
    held_channel: str
    held_party_id: str
    agent_endpoint: str


@dataclass(slots=True)
class _AttendedTransfer:
    transfer_id: str
    call_id: str
    to: str
    transferer_channel: str
    transferer_party_id: str
    owner_agent_id: str | None
    state: str = "consulting"
    talking_with: str = "consulted"


@dataclass(slots=True)
class _Recording:
    recording_id: str
    channel: str
    state: str = "recording"


@dataclass
class CallControlService:
    """The use cases behind `/api/v1/calls` and `/api/v1/transfers`."""

    pbx: CallControl
    calls: CallSource
    endpoint_for_agent: Callable[[str], str | None]
    idempotency: IdempotencyStore
    webhooks: WebhookSubscriptions | None = None
    recording_owners: RecordingOwners | None = None
    """Where each recording started here is noted with its call and agents (for `/api/v1/recordings`)."""
    default_region: str = "US"
    max_extension_length: int = DEFAULT_MAX_EXTENSION_LENGTH
    channel_variables: tuple[tuple[str, str], ...] = ()
    call_appearance_timeout: float = 2.0
    _holds: dict[str, _Hold] = field(default_factory=dict)
    _transfers: dict[str, _AttendedTransfer] = field(default_factory=dict)
    _recordings: dict[str, _Recording] = field(default_factory=dict)
    _rooms: dict[str, str] = field(default_factory=dict)
    _placing: asyncio.Lock = field(default_factory=asyncio.Lock)

    # reading --------------------------------------------------------------------------------

    def list_calls(self, principal: Principal) -> list[dict[str, Any]]:
        """Live calls the principal may see: an agent only its own, a reader all."""
        return [
            call_view(call)
            for call in self.calls.calls()
            if not call.ended and self._may_touch(principal, call)
        ]

    def get_call(self, principal: Principal, call_id: str) -> dict[str, Any]:
        return call_view(self._call(principal, call_id))

    # click-to-call --------------------------------------------------------------------------

    async def place_call(
        self, principal: Principal, body: schemas.PlaceCall, idempotency_key: str | None
    ) -> tuple[StoredResponse, bool]:
        """Originate from the agent's phone to `to`; with a key, a retry gets the first answer back.

        Returns the answer and whether it is a replay of an earlier request with the same key.
        """
        endpoint, agent_id = self._caller_endpoint(principal, body.from_)
        destination = self._destination(body.to, "to")
        if body.webhook_url is not None and self.webhooks is None:
            raise InvalidField(
                "webhook_url", "webhooks are not configured on this gateway (set CTI_WEBHOOK_SECRET)"
            )
        if idempotency_key is None:
            return await self._originate(principal, body, endpoint, agent_id, destination), False
        key = check_idempotency_key(idempotency_key)
        fingerprint = request_fingerprint(body.model_dump(mode="json", by_alias=True))
        async with self._placing:  # one claim at a time: two racing retries cannot both see NEW
            claim = await self.idempotency.claim(principal.token_id, key, fingerprint, _now())
        if claim.outcome is ClaimOutcome.REPLAY and claim.response is not None:
            return claim.response, True
        if claim.outcome is ClaimOutcome.MISMATCH:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used for a different request; use a new key"
            )
        if claim.outcome is ClaimOutcome.IN_PROGRESS:
            raise IdempotencyConflict(
                "a request with this Idempotency-Key is still in progress (or was interrupted); "
                "check GET /api/v1/calls before retrying with a new key"
            )
        try:
            response = await self._originate(principal, body, endpoint, agent_id, destination)
        except BaseException:
            await self.idempotency.release(principal.token_id, key)
            raise
        await self.idempotency.complete(principal.token_id, key, response, _now())
        return response, False

    async def _originate(
        self,
        principal: Principal,
        body: schemas.PlaceCall,
        endpoint: str,
        agent_id: str | None,
        destination: Destination,
    ) -> StoredResponse:
        # The dialled number travels as a channel variable so that it is attached data (`dnis`) before the
        # agent's phone rings: the screen pop looks the called customer up by it.
        dnis = (f"{ATTACHED_VARIABLE_PREFIX}{AttachedDataKey.DNIS.value.upper()}", destination.value)
        leg = await self.pbx.originate(
            OriginateRequest(
                endpoint=endpoint,
                destination=destination,
                correlation_id=uuid.uuid4().hex,
                channel_variables=(*self.channel_variables, dnis),
            )
        )
        call = await self._call_of_channel(leg.unique_id)
        if call is not None:
            self.calls.attach(call.call_id, {**body.attached, AttachedDataKey.DNIS.value: destination.value})
        if call is not None and body.webhook_url is not None and self.webhooks is not None:
            await self.webhooks.subscribe(call.call_id, str(body.webhook_url), principal.token_id)
        log.info("call placed", call_id=call and call.call_id, endpoint=endpoint, to=destination.value)
        placed = schemas.PlacedCall(
            call_id=call.call_id if call is not None else None,
            agent_id=agent_id,
            endpoint=endpoint,
            to=destination.value,
            channel=leg.channel,
            unique_id=leg.unique_id,
            call=schemas.CallView.model_validate(call_view(call)) if call is not None else None,
        )
        return StoredResponse(201, placed.model_dump(mode="json"))

    async def _call_of_channel(self, unique_id: str) -> Call | None:
        deadline = time.monotonic() + self.call_appearance_timeout
        while True:
            call = self.calls.call_for_channel(unique_id)
            if call is not None or time.monotonic() >= deadline:
                return call
            await asyncio.sleep(0.02)

    # simple commands ------------------------------------------------------------------------

    async def hang_up(self, principal: Principal, call_id: str) -> schemas.CommandAccepted:
        """End the whole call: every participant still on it is hung up."""
        call = self._call(principal, call_id)
        parties = call.active_parties()
        if not parties:
            raise ActionNotAllowed(f"call {call_id} has no participant left to hang up")
        for party in parties:
            await self._ignore_gone(self.pbx.hang_up(party.channel))
        return schemas.CommandAccepted(call_id=call_id, action="hangup")

    async def remove_party(
        self, principal: Principal, call_id: str, party_id: str
    ) -> schemas.CommandAccepted:
        """Drop one participant (its leg is hung up); the others stay connected if the bridge allows."""
        call = self._call(principal, call_id)
        party = self._party(call, party_id, "party")
        await self.pbx.hang_up(party.channel)
        return schemas.CommandAccepted(call_id=call_id, action="remove", party_id=party.party_id)

    async def send_dtmf(
        self, principal: Principal, call_id: str, body: schemas.Dtmf
    ) -> schemas.CommandAccepted:
        """Play digits towards the customer side (e.g. to drive a remote IVR) or towards `party`."""
        call = self._call(principal, call_id)
        actor = self._acting_party(principal, call, None)
        target = self._party(call, body.party, "party") if body.party else self._partner(call, actor)
        self._require(actor, CallAction.DTMF)
        await self.pbx.send_dtmf(target.channel, body.digits.upper())
        return schemas.CommandAccepted(call_id=call_id, action="dtmf", party_id=target.party_id)

    async def hold(self, principal: Principal, call_id: str) -> schemas.CommandAccepted:
        """Put the customer side on music on hold; the agent's leg is released until retrieve."""
        call = self._call(principal, call_id)
        actor = self._acting_party(principal, call, None)
        self._require(actor, CallAction.HOLD)
        held = self._partner(call, actor)
        if call_id in self._holds:
            raise ActionNotAllowed(f"call {call_id} is already on hold; retrieve it first")
        endpoint = actor.endpoint or (actor.agent_id and self.endpoint_for_agent(actor.agent_id))
        if not endpoint:
            raise ActionNotAllowed(f"party {actor.party_id} has no known phone to ring back on retrieve")
        await self.pbx.hold(held.channel, actor.channel)
        self._holds[call_id] = _Hold(held.channel, held.party_id, endpoint)
        return schemas.CommandAccepted(call_id=call_id, action="hold", party_id=held.party_id)

    async def retrieve(self, principal: Principal, call_id: str) -> schemas.CommandAccepted:
        """Reconnect the held customer with the agent who held it (its phone rings again)."""
        call = self._call(principal, call_id)
        hold = self._holds.get(call_id)
        if hold is None:
            raise ActionNotAllowed(f"call {call_id} was not put on hold through this gateway")
        held = call.parties.get(hold.held_party_id)
        if held is None or not held.is_active:
            self._holds.pop(call_id, None)
            raise ActionNotAllowed(f"the held party of call {call_id} has hung up")
        await self.pbx.retrieve(held.channel, hold.agent_endpoint)
        self._holds.pop(call_id, None)
        return schemas.CommandAccepted(call_id=call_id, action="retrieve", party_id=held.party_id)

    # transfers ------------------------------------------------------------------------------

    async def transfer(
        self, principal: Principal, call_id: str, body: schemas.Transfer
    ) -> schemas.TransferView:
        """Blind: hand the customer over at once. Attended: consult `to` first, then complete or cancel."""
        call = self._call(principal, call_id)
        actor = self._acting_party(principal, call, body.party)
        self._require(actor, CallAction.TRANSFER)
        destination = self._destination(body.to, "to")
        transfer_id = uuid.uuid4().hex
        if body.mode == "blind":
            await self.pbx.blind_transfer(actor.channel, destination)
            return schemas.TransferView(
                transfer_id=transfer_id,
                call_id=call_id,
                mode="blind",
                to=destination.value,
                state="done",
                transferer_party_id=actor.party_id,
            )
        if any(t.call_id == call_id and t.state == "consulting" for t in self._transfers.values()):
            raise ActionNotAllowed(f"call {call_id} already has an attended transfer in progress")
        await self.pbx.start_attended_transfer(actor.channel, destination)
        transfer = _AttendedTransfer(
            transfer_id, call_id, destination.value, actor.channel, actor.party_id, actor.agent_id
        )
        self._transfers[transfer_id] = transfer
        return self._transfer_view(transfer)

    async def complete_transfer(self, principal: Principal, transfer_id: str) -> schemas.TransferView:
        transfer = self._consulting(principal, transfer_id)
        await self.pbx.complete_attended_transfer(transfer.transferer_channel)
        transfer.state = "completed"
        return self._transfer_view(transfer)

    async def cancel_transfer(self, principal: Principal, transfer_id: str) -> schemas.TransferView:
        transfer = self._consulting(principal, transfer_id)
        await self.pbx.cancel_attended_transfer(transfer.transferer_channel)
        transfer.state = "cancelled"
        return self._transfer_view(transfer)

    async def swap_transfer(self, principal: Principal, transfer_id: str) -> schemas.TransferView:
        """Alternate the transferring agent between the consulted party and the held customer."""
        transfer = self._consulting(principal, transfer_id)
        await self.pbx.swap_attended_transfer(transfer.transferer_channel)
        transfer.talking_with = "held" if transfer.talking_with == "consulted" else "consulted"
        return self._transfer_view(transfer)

    def get_transfer(self, principal: Principal, transfer_id: str) -> schemas.TransferView:
        transfer = self._transfers.get(transfer_id)
        if transfer is None or not self._owns_transfer(principal, transfer):
            raise TransferNotFound(f"no attended transfer {transfer_id}")
        return self._transfer_view(transfer)

    # conference and mute --------------------------------------------------------------------

    async def conference(
        self, principal: Principal, call_id: str, body: schemas.Conference
    ) -> schemas.CommandAccepted:
        """Turn the call into a ConfBridge conference: ring `to` into it, or merge an attended consultation.

        Everyone still on the call moves into the call's room first (a dual Redirect); `to` is then rung
        and joins the room once it answers.
        """
        if (body.to is None) == (body.transfer_id is None):
            name = "to" if body.to is None else "transfer_id"
            raise InvalidField(name, "give either `to` (a number to add) or `transfer_id` (a consultation)")
        call = self._call(principal, call_id)
        actor = self._acting_party(principal, call, body.party)
        self._require(actor, CallAction.CONFERENCE)
        destination = self._destination(body.to, "to") if body.to is not None else None
        transfer = None
        if body.transfer_id is not None:
            transfer = self._consulting(principal, body.transfer_id)
            if transfer.call_id != call_id:
                raise InvalidField("transfer_id", f"transfer {body.transfer_id} belongs to another call")
        room = self._rooms.get(call_id)
        if room is None:
            room = "cti" + re.sub(r"[^0-9A-Za-z]", "", call_id)
            # The transferring agent moves last, so that Asterisk sees its consultation end, not complete.
            parties = sorted(
                (p for p in call.active_parties() if p.role is not PartyRole.SUPERVISOR),
                key=lambda p: transfer is not None and p.channel == transfer.transferer_channel,
            )
            await self.pbx.move_to_conference([p.channel for p in parties], room)
            self._rooms[call_id] = room
        if transfer is not None:
            transfer.state = "conferenced"
        if destination is not None:
            await self.pbx.add_to_conference(destination, room)
        return schemas.CommandAccepted(call_id=call_id, action="conference", party_id=actor.party_id)

    async def mute(
        self, principal: Principal, call_id: str, body: schemas.PartyChoice, muted: bool
    ) -> schemas.CommandAccepted:
        """Stop (or resume) passing what one participant says to the others: by default the agent itself."""
        call = self._call(principal, call_id)
        if body.party is None:
            target = self._acting_party(principal, call, None)
        else:
            target = self._party(call, body.party, "party")
        self._require(target, CallAction.MUTE if muted else CallAction.UNMUTE)
        await self.pbx.mute(target.channel, muted)
        return schemas.CommandAccepted(
            call_id=call_id, action="mute" if muted else "unmute", party_id=target.party_id
        )

    # supervision and recording --------------------------------------------------------------

    async def monitor(
        self, principal: Principal, call_id: str, body: schemas.Monitor
    ) -> schemas.CommandAccepted:
        """Ring the supervisor's phone and join the agent's leg in listen, whisper or barge mode."""
        if principal.kind is PrincipalKind.AGENT or not (
            principal.has(Scope.SUPERVISOR) or principal.has(Scope.ADMIN)
        ):
            raise NotYourCall("monitoring a call needs a token with the supervisor scope")
        call = self._call(principal, call_id)
        agent = self._acting_party(principal, call, body.party)
        self._require(agent, CallAction.MONITOR)
        endpoint = self.endpoint_for_agent(body.from_) or check_endpoint(body.from_, field="from")
        await self.pbx.monitor(agent.channel, endpoint, body.mode)
        return schemas.CommandAccepted(
            call_id=call_id, action=f"monitor:{body.mode.value}", party_id=agent.party_id
        )

    async def record(
        self, principal: Principal, call_id: str, body: schemas.Recording
    ) -> schemas.RecordingView:
        """Start, stop, pause or resume the recording of the agent's leg (both directions mixed)."""
        call = self._call(principal, call_id)
        current = self._recordings.get(call_id)
        if body.action == "start":
            if current is not None and current.state != "stopped":
                raise ActionNotAllowed(f"call {call_id} is already being recorded ({current.recording_id})")
            actor = self._acting_party(principal, call, None)
            self._require(actor, CallAction.RECORD)
            recording = _Recording(f"call-{call_id}-{uuid.uuid4().hex[:8]}".replace(";", "_"), actor.channel)
            await self._remember_owner(call, recording)
            await self.pbx.start_recording(actor.channel, recording.recording_id)
            self._recordings[call_id] = recording
            return self._recording_view(call_id, recording)
        if current is None or current.state == "stopped":
            raise ActionNotAllowed(f"call {call_id} is not being recorded; start a recording first")
        if body.action == "stop":
            await self.pbx.stop_recording(current.channel)
            current.state = "stopped"
        elif body.action == "pause":
            await self.pbx.pause_recording(current.channel, True)
            current.state = "paused"
        else:
            await self.pbx.pause_recording(current.channel, False)
            current.state = "recording"
        return self._recording_view(call_id, current)

    async def _remember_owner(self, call: Call, recording: _Recording) -> None:
        """Note whose recording this is before the PBX writes it; a failure here never stops the recording."""
        if self.recording_owners is None:
            return
        agents = tuple(sorted({p.agent_id for p in call.parties.values() if p.agent_id is not None}))
        owner = RecordingOwner(recording.recording_id, call.call_id, agents, recording.channel, _now())
        try:
            await self.recording_owners.remember(owner)
        except Exception as exc:  # the store is down: record anyway; only integrations will list it
            log.warning(
                "recording owner not saved; agents will not see this recording",
                recording=recording.recording_id,
                call_id=call.call_id,
                error=str(exc),
            )

    # rules ----------------------------------------------------------------------------------

    def _call(self, principal: Principal, call_id: str) -> Call:
        call = self.calls.get(call_id)
        if call is None:
            raise CallNotFound(f"no call {call_id!r}; it may have ended (see GET /api/v1/calls)")
        if not self._may_touch(principal, call):
            raise NotYourCall(f"call {call_id} is not one of agent {principal.agent_id}'s calls")
        return call

    @staticmethod
    def _may_touch(principal: Principal, call: Call) -> bool:
        if principal.kind is not PrincipalKind.AGENT:
            return True
        return any(party.agent_id == principal.agent_id for party in call.parties.values())

    def _caller_endpoint(self, principal: Principal, text: str) -> tuple[str, str | None]:
        """The phone to ring first and its agent, from an agent id or an endpoint."""
        endpoint = self.endpoint_for_agent(text)
        agent_id: str | None = text if endpoint is not None else None
        if endpoint is None:
            endpoint = check_endpoint(text, field="from")
            if principal.agent_id is not None and self.endpoint_for_agent(principal.agent_id) == endpoint:
                agent_id = principal.agent_id
        if principal.kind is PrincipalKind.AGENT and agent_id != principal.agent_id:
            raise NotYourCall(f"agent {principal.agent_id} may only place calls from its own phone")
        return endpoint, agent_id

    def _destination(self, text: str, name: str) -> Destination:
        return parse_destination(
            text,
            field=name,
            default_region=self.default_region,
            max_extension_length=self.max_extension_length,
        )

    @staticmethod
    def _party(call: Call, party_id: str | None, name: str) -> Party:
        party = call.parties.get(party_id or "")
        if party is None:
            raise PartyNotFound(f"call {call.call_id} has no party {party_id!r}")
        if not party.is_active:
            raise ActionNotAllowed(f"party {party_id} of call {call.call_id} has already left the call")
        return party

    def _acting_party(self, principal: Principal, call: Call, party_id: str | None) -> Party:
        """The agent carrying out an action: the caller itself for an agent token, else the call's agent."""
        if party_id is not None:
            party = self._party(call, party_id, "party")
            if principal.kind is PrincipalKind.AGENT and party.agent_id != principal.agent_id:
                raise NotYourCall(f"party {party_id} is not agent {principal.agent_id}")
            return party
        active = [p for p in call.active_parties() if p.role is not PartyRole.SUPERVISOR]
        if principal.kind is PrincipalKind.AGENT:
            mine = [p for p in active if p.agent_id == principal.agent_id]
        else:
            mine = [p for p in active if p.role is PartyRole.AGENT or p.agent_id is not None]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise ActionNotAllowed(f"call {call.call_id} has no agent on it to act for")
        raise InvalidField("party", f"call {call.call_id} has several agents; name the acting one in `party`")

    @staticmethod
    def _partner(call: Call, actor: Party) -> Party:
        others = [
            p
            for p in call.active_parties()
            if p.party_id != actor.party_id and p.role is not PartyRole.SUPERVISOR
        ]
        if len(others) == 1:
            return others[0]
        if not others:
            raise ActionNotAllowed(f"party {actor.party_id} is alone on call {call.call_id}")
        raise InvalidField("party", f"call {call.call_id} has several other parties; name one in `party`")

    @staticmethod
    def _require(party: Party, action: CallAction) -> None:
        if action not in allowed_actions(party):
            raise ActionNotAllowed(
                f"{action.value} is not allowed while party {party.party_id} is {party.state.value}"
            )

    def _consulting(self, principal: Principal, transfer_id: str) -> _AttendedTransfer:
        transfer = self._transfers.get(transfer_id)
        if transfer is None or not self._owns_transfer(principal, transfer):
            raise TransferNotFound(f"no attended transfer {transfer_id}")
        if transfer.state != "consulting":
            raise ActionNotAllowed(f"transfer {transfer_id} is already {transfer.state}")
        return transfer

    @staticmethod
    def _owns_transfer(principal: Principal, transfer: _AttendedTransfer) -> bool:
        return principal.kind is not PrincipalKind.AGENT or transfer.owner_agent_id == principal.agent_id

    @staticmethod
    def _transfer_view(transfer: _AttendedTransfer) -> schemas.TransferView:
        return schemas.TransferView(
            transfer_id=transfer.transfer_id,
            call_id=transfer.call_id,
            mode="attended",
            to=transfer.to,
            state=transfer.state,
            transferer_party_id=transfer.transferer_party_id,
            talking_with=transfer.talking_with,
        )

    @staticmethod
    def _recording_view(call_id: str, recording: _Recording) -> schemas.RecordingView:
        return schemas.RecordingView(
            recording_id=recording.recording_id,
            call_id=call_id,
            state=recording.state,
            channel=recording.channel,
        )

    @staticmethod
    async def _ignore_gone(action: Awaitable[None]) -> None:
        try:
            await action
        except PbxRefused as exc:  # the leg hung up between our read and the PBX's answer
            log.info("hangup of a leg that is already gone", error=str(exc))


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["CallControlError", "CallControlService", "CallSource", "WebhookSubscriptions"]
