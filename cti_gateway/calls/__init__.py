"""Calls: PBX events become calls, parties and attached data; calls become `call.*` events.

Contract (other folders code against this):

* `CallTracker(sink, agent_for)`: `agent_for(name)` maps a channel name
  (`Local/1001@agents-00000002;1`, `PJSIP/1001-0000001`), a queue member interface
  (`Local/1001@agents/n`) or a dial string to an agent id or None; `agent_resolver({endpoint: id})`
  builds one from the configured agents.
  Feed it `apply(PbxEvent)` for every AMI/ARI event and `replace_with(PbxSnapshot)` after every resync.
  Read with `calls()`, `get(call_id)`, `call_for_channel(unique_id_or_name)`; write attached data with
  `attach(call_id, updates)` (raises `UnknownCallError`; emits `call.data_updated`).
* Events are emitted synchronously, in PBX order. Each `CtiEvent.data` is `call_view(call)` plus,
  where the event concerns one participant, `party` (a `party_view`): `call.ringing`,
  `call.answered`, `call.held`, `call.retrieved`, `call.party_left`.
  `call.transferred` adds `kind` (blind|attended); `call.conferenced` adds `conference`;
  `call.ended` adds `cause`, `cause_text` (and `reason: "resync"` when a resync ended it); `call.data_updated`
  adds `changed`. The audience is the agents among the parties (ended ones included) plus the call's queue.
* `call.party_left` (party in state `ended`, with `end_cause`) reports one participant leaving a call that
  goes on: a losing ringer, a transferer, a supervisor. It is not sent when the departure merely starts
  the call's end (the other party is about to hang up too): `call.ended` covers that. After a resync it
  carries `reason: "resync"`.
* Supervisors: a ChanSpy spyer (`ChanSpyStart`) or a phone bridged with an ARI snoop (`Snoop/<id>-n`)
  joins the monitored call as a party with role `supervisor` and `monitor_mode` listen|whisper|barge
  (null when unknown: ARI snoops). Joining is `call.answered` with that party; the phone's own call, if it
  was announced (it rang first), ends with `reason: "merged"` and `merged_into`. Leaving (`ChanSpyStop`,
  snoop gone, hangup) is `call.party_left`; a supervisor never keeps the monitored call alive.
* A call's `call_id` never changes; `call.created` comes first and `call.ended` exactly once, last.
* `call_view(call)` is the JSON of `GET /calls/{id}`: ids, direction, state, queue, times, `attached`,
  `parties` (each with `allowed_actions`) and the call-wide union `allowed_actions`.
"""

from cti_gateway.calls.actions import allowed_actions
from cti_gateway.calls.agents import agent_resolver
from cti_gateway.calls.model import (
    AttachedData,
    AttachedDataKey,
    Call,
    CallAction,
    CallDirection,
    MonitorMode,
    Party,
    PartyRole,
    PartyState,
    TransferKind,
)
from cti_gateway.calls.tracker import AgentResolver, CallTracker, UnknownCallError
from cti_gateway.calls.view import call_audience, call_view, party_view

__all__ = [
    "AgentResolver",
    "AttachedData",
    "AttachedDataKey",
    "Call",
    "CallAction",
    "CallDirection",
    "CallTracker",
    "MonitorMode",
    "Party",
    "PartyRole",
    "PartyState",
    "TransferKind",
    "UnknownCallError",
    "agent_resolver",
    "allowed_actions",
    "call_audience",
    "call_view",
    "party_view",
]
