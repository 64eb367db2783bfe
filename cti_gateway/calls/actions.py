"""Which buttons a desktop may enable for each participant, like Cisco Finesse's per-participant actions."""

from __future__ import annotations

from cti_gateway.calls.model import CallAction, Party, PartyRole, PartyState

_BY_STATE: dict[PartyState, tuple[CallAction, ...]] = {
    # A ringing Local/SIP phone is answered on the phone itself; the API can only reject it.
    PartyState.RINGING: (CallAction.HANGUP,),
    PartyState.TALKING: (
        CallAction.HANGUP,
        CallAction.HOLD,
        CallAction.DTMF,
        CallAction.TRANSFER,
        CallAction.CONFERENCE,
        CallAction.REMOVE,
        CallAction.MUTE,
        CallAction.UNMUTE,
        CallAction.MONITOR,
        CallAction.RECORD,
    ),
    PartyState.HELD: (
        CallAction.HANGUP,
        CallAction.RETRIEVE,
        CallAction.TRANSFER,
        CallAction.CONFERENCE,
        CallAction.REMOVE,
        CallAction.RECORD,
    ),
    PartyState.ENDED: (),
}

_SUPERVISOR: dict[PartyState, tuple[CallAction, ...]] = {
    PartyState.RINGING: (CallAction.HANGUP,),
    PartyState.TALKING: (CallAction.HANGUP, CallAction.REMOVE, CallAction.MUTE, CallAction.UNMUTE),
    PartyState.HELD: (CallAction.HANGUP, CallAction.REMOVE),
    PartyState.ENDED: (),
}


def allowed_actions(party: Party) -> tuple[CallAction, ...]:
    """The operations the REST API accepts for this party in its current state."""
    table = _SUPERVISOR if party.role is PartyRole.SUPERVISOR else _BY_STATE
    return table[party.state]
