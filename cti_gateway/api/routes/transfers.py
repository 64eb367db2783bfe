"""`/api/v1/transfers`: finish an attended transfer started with POST /calls/{id}/transfer (mode attended)."""

from __future__ import annotations

from fastapi import APIRouter

from cti_gateway.api.routes.calls import Control
from cti_gateway.api.routes.command_routes import command_routes
from cti_gateway.auth.dependencies import CallsReader, CallsWriter
from cti_gateway.call_control import schemas
from cti_gateway.call_control.http_errors import CallControlRoute

router = APIRouter(prefix="/api/v1", tags=["transfers"], route_class=CallControlRoute)

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No valid token."},
    403: {"description": "The token lacks the scope."},
    404: {"description": "No such transfer (or not this agent's)."},
    409: {"description": "The transfer is already completed or cancelled, or Asterisk refused."},
    503: {"description": "The PBX link is down; nothing was sent."},
}


_accepted = command_routes(router, _ERRORS)


@router.get("/transfers/{transfer_id}", response_model=schemas.TransferView, responses=_ERRORS)
async def get_transfer(transfer_id: str, principal: CallsReader, control: Control) -> schemas.TransferView:
    return control.get_transfer(principal, transfer_id)


@_accepted("/transfers/{transfer_id}/complete", schemas.TransferView)
async def complete(transfer_id: str, principal: CallsWriter, control: Control) -> schemas.TransferView:
    """Connect the held customer with the consulted party; the transferring agent leaves."""
    return await control.complete_transfer(principal, transfer_id)


@_accepted("/transfers/{transfer_id}/cancel", schemas.TransferView)
async def cancel(transfer_id: str, principal: CallsWriter, control: Control) -> schemas.TransferView:
    """Drop the consulted party and go back to the held customer."""
    return await control.cancel_transfer(principal, transfer_id)


@_accepted("/transfers/{transfer_id}/swap", schemas.TransferView)
async def swap(transfer_id: str, principal: CallsWriter, control: Control) -> schemas.TransferView:
    """Alternate between the consulted party and the held customer; the other one waits on hold."""
    return await control.swap_transfer(principal, transfer_id)
