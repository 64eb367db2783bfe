"""The REST bodies of call control (`/api/v1/calls`, `/api/v1/transfers`); their names are a public contract.

Every text field that can reach the PBX refuses control characters, so a CR/LF gets a 422 naming the
field before anything is sent to Asterisk.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, JsonValue

from cti_gateway.call_control.destinations import refuse_control_characters
from cti_gateway.calls.model import MonitorMode

PbxText = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(refuse_control_characters)]
"""Text that may end up in an AMI header: no CR, LF or other control character."""

MAX_ATTACHED_KEYS = 64


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PlaceCall(_Body):
    """Click-to-call: ring `from` (an agent id or an endpoint) first, then dial `to` from it."""

    from_: PbxText = Field(
        alias="from", description="An agent id from the settings (1001) or an endpoint (PJSIP/1001)."
    )
    to: PbxText = Field(description="E.164 (+15551234567), a national number, or an extension (2001).")
    attached: dict[str, JsonValue] = Field(
        default_factory=dict,
        max_length=MAX_ATTACHED_KEYS,
        description="Data attached to the call from the start (CRM ids, campaign …).",
    )
    webhook_url: AnyHttpUrl | None = Field(
        None, description="Where call status callbacks go (signed, see docs/api.md#webhooks)."
    )


class PartyView(BaseModel):
    """One participant of a call, with the actions its state allows."""

    party_id: str
    role: str
    state: str
    channel: str
    unique_id: str
    number: str
    name: str
    agent_id: str | None
    endpoint: str | None
    ringing_at: float | None
    answered_at: float | None
    ended_at: float | None
    end_cause: int | None
    end_cause_text: str
    allowed_actions: list[str]


class CallView(BaseModel):
    """A call as desktops see it; the same shape as the `data` of `call.*` events."""

    call_id: str
    linked_id: str
    direction: str
    state: str
    queue: str | None
    conference: str | None
    created_at: float
    answered_at: float | None
    ended_at: float | None
    end_cause: int | None
    end_cause_text: str
    attached: dict[str, Any]
    parties: list[PartyView]
    allowed_actions: list[str]


class CallList(BaseModel):
    calls: list[CallView]


class PlacedCall(BaseModel):
    """What POST /calls answers: the new call's id and first channel (the agent's phone ringing)."""

    call_id: str | None = Field(description="Null only if the call ended before the gateway saw it.")
    agent_id: str | None
    endpoint: str
    to: str = Field(description="The destination as dialled: E.164 or the extension.")
    channel: str
    unique_id: str
    call: CallView | None


class CommandAccepted(BaseModel):
    """Asterisk accepted the action; its effect arrives as `call.*` events (and webhooks)."""

    call_id: str
    action: str
    party_id: str | None = None


class Dtmf(_Body):
    digits: str = Field(pattern=r"^[0-9A-Da-d*#]{1,32}$", description="Digits to play: 0-9, A-D, * and #.")
    party: PbxText | None = Field(None, description="Who hears them; by default the customer side.")


class Transfer(_Body):
    to: PbxText = Field(description="E.164 number or extension to transfer to.")
    mode: Literal["blind", "attended"]
    party: PbxText | None = Field(None, description="The transferring party; by default the agent.")


class TransferView(BaseModel):
    """An attended transfer in progress: complete, cancel, swap it with /api/v1/transfers/{transfer_id}/..."""

    transfer_id: str
    call_id: str
    mode: Literal["blind", "attended"]
    to: str
    state: Literal["consulting", "completed", "cancelled", "conferenced", "done"]
    transferer_party_id: str
    talking_with: Literal["consulted", "held"] | None = Field(
        None, description="Attended only: whom the transferring agent hears now (swap alternates)."
    )


class Conference(_Body):
    """Make the call a conference: ring `to` into it, or merge the consultation `transfer_id` into it."""

    to: PbxText | None = Field(None, description="E.164 number or extension to add to the conference.")
    transfer_id: PbxText | None = Field(
        None, description="An attended transfer of this call in `consulting`: its consulted party joins."
    )
    party: PbxText | None = Field(None, description="The agent doing it; by default the call's agent.")


class PartyChoice(_Body):
    """Which participant an action is about; by default the acting agent itself."""

    party: PbxText | None = Field(None, description="A party id of the call (see `parties[].party_id`).")


class Monitor(_Body):
    mode: MonitorMode
    from_: PbxText = Field(
        alias="from", description="The supervisor's phone: an agent id from the settings or an endpoint."
    )
    party: PbxText | None = Field(None, description="The agent to monitor; by default the call's agent.")


class Recording(_Body):
    action: Literal["start", "stop", "pause", "resume"]


class RecordingView(BaseModel):
    recording_id: str
    call_id: str
    state: Literal["recording", "paused", "stopped"]
    channel: str
