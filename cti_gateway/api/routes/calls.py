"""`/api/v1/calls`: list and inspect calls, click-to-call, and control a live call.

Reads need `calls:read`, changes `calls:write` (agent tokens hold both, for their own calls only).
Actions answer 202: Asterisk accepted them, and their effect arrives as `call.*` events and webhooks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi.responses import JSONResponse

from cti_gateway.api.routes.command_routes import command_routes
from cti_gateway.auth.dependencies import CallsReader, CallsWriter
from cti_gateway.call_control import schemas
from cti_gateway.call_control.http_errors import CallControlRoute
from cti_gateway.call_control.service import CallControlService

router = APIRouter(prefix="/api/v1", tags=["calls"], route_class=CallControlRoute)

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token."},
    403: {"description": "The token lacks the scope, or the call is not this agent's."},
    404: {"description": "No such call (it may have ended) or party."},
    409: {"description": "The call's state does not allow it, or Asterisk refused the action."},
    503: {"description": "The PBX link is down; nothing was sent. Retry after Retry-After seconds."},
}


_accepted = command_routes(router, _ERRORS)


class CallControlNotConfigured(RuntimeError):
    """The app was built without `app.state.call_control`; the composition root must set it."""


def get_call_control(request: Request) -> CallControlService:
    service = getattr(request.app.state, "call_control", None)
    if not isinstance(service, CallControlService):
        raise CallControlNotConfigured("app.state.call_control must be a CallControlService (see wiring.py)")
    return service


Control = Annotated[CallControlService, Depends(get_call_control)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string (a UUID); the same key again returns the first answer, no new call.",
    ),
]


@router.post(
    "/calls",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.PlacedCall,
    responses={**_ERRORS, 422: {"description": "A malformed number or field, named in `loc`."}},
)
async def place_call(
    body: schemas.PlaceCall, principal: CallsWriter, control: Control, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Click-to-call: ring the agent's phone, then dial `to` once it answers."""
    stored, replayed = await control.place_call(principal, body, idempotency_key)
    response = JSONResponse(dict(stored.body), status_code=stored.status_code)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@router.get("/calls", response_model=schemas.CallList, responses=_ERRORS)
async def list_calls(principal: CallsReader, control: Control) -> schemas.CallList:
    """Live calls: all of them for an integration, an agent's own for an agent token."""
    return schemas.CallList.model_validate({"calls": control.list_calls(principal)})


@router.get("/calls/{call_id}", response_model=schemas.CallView, responses=_ERRORS)
async def get_call(call_id: str, principal: CallsReader, control: Control) -> schemas.CallView:
    """One call with its parties and the actions each may take now."""
    return schemas.CallView.model_validate(control.get_call(principal, call_id))


@_accepted("/calls/{call_id}/hangup")
async def hang_up(call_id: str, principal: CallsWriter, control: Control) -> schemas.CommandAccepted:
    """End the call for everyone on it."""
    return await control.hang_up(principal, call_id)


@_accepted("/calls/{call_id}/hold")
async def hold(call_id: str, principal: CallsWriter, control: Control) -> schemas.CommandAccepted:
    """Park the customer side on music on hold (the agent's phone is released until retrieve)."""
    return await control.hold(principal, call_id)


@_accepted("/calls/{call_id}/retrieve")
async def retrieve(call_id: str, principal: CallsWriter, control: Control) -> schemas.CommandAccepted:
    """Take the call off hold: the agent's phone rings and reconnects with the customer."""
    return await control.retrieve(principal, call_id)


@_accepted("/calls/{call_id}/dtmf")
async def send_dtmf(
    call_id: str, body: schemas.Dtmf, principal: CallsWriter, control: Control
) -> schemas.CommandAccepted:
    """Play DTMF digits towards the customer side (or `party`)."""
    return await control.send_dtmf(principal, call_id, body)


@_accepted("/calls/{call_id}/transfer", schemas.TransferView)
async def transfer(
    call_id: str, body: schemas.Transfer, principal: CallsWriter, control: Control
) -> schemas.TransferView:
    """Blind: the customer goes to `to` at once. Attended: consult `to`, then /transfers/{id}/complete."""
    return await control.transfer(principal, call_id, body)


@_accepted("/calls/{call_id}/parties/{party_id}", method="DELETE")
async def remove_party(
    call_id: str, party_id: str, principal: CallsWriter, control: Control
) -> schemas.CommandAccepted:
    """Drop one participant from the call (its leg is hung up)."""
    return await control.remove_party(principal, call_id, party_id)


@_accepted("/calls/{call_id}/conference")
async def conference(
    call_id: str, body: schemas.Conference, principal: CallsWriter, control: Control
) -> schemas.CommandAccepted:
    """Make the call a conference: ring `to` into it, or merge the consultation `transfer_id` into it."""
    return await control.conference(principal, call_id, body)


@_accepted("/calls/{call_id}/mute")
async def mute(
    call_id: str, principal: CallsWriter, control: Control, body: schemas.PartyChoice | None = None
) -> schemas.CommandAccepted:
    """Stop passing what `party` (by default the agent) says to the others on the call."""
    return await control.mute(principal, call_id, body or schemas.PartyChoice(), muted=True)


@_accepted("/calls/{call_id}/unmute")
async def unmute(
    call_id: str, principal: CallsWriter, control: Control, body: schemas.PartyChoice | None = None
) -> schemas.CommandAccepted:
    """Let `party` (by default the agent) be heard again."""
    return await control.mute(principal, call_id, body or schemas.PartyChoice(), muted=False)


@_accepted("/calls/{call_id}/monitor")
async def monitor(
    call_id: str, body: schemas.Monitor, principal: CallsReader, control: Control
) -> schemas.CommandAccepted:
    """Supervisor: ring `from` and listen to, whisper to or barge into the agent (needs `supervisor`)."""
    return await control.monitor(principal, call_id, body)


@_accepted("/calls/{call_id}/recording", schemas.RecordingView)
async def recording(
    call_id: str, body: schemas.Recording, principal: CallsWriter, control: Control
) -> schemas.RecordingView:
    """Start, stop, pause or resume recording the agent's leg."""
    return await control.record(principal, call_id, body)
