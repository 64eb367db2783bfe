"""Agents: the roster (settings file + API, stored), and each agent's state as `agent.state_changed`.

* `AgentStateService(agent_for, forward)`: an `EventSink` placed after the call tracker (call events
  pass through unchanged); `apply(PbxEvent)` takes app_queue's QueueMember* events, `replace_with(snapshot)`
  rebuilds after an AMI resync, `bind(tracker)` lets it re-read live calls then. Emits
  `agent.state_changed` (`agent_id`, `state`, `previous`, `reason`, `queues`, `call_id`, `since`) to the
  agent and to supervisors of its queues, once per change.
* `AgentRoster(directory, store, states, settings_agent_ids=...)`: what `/api/v1/agents` uses; `start()`
  loads the stored agents (retrying), `add`/`change`/`remove` store first, then take effect at once.
* `AgentStore`: the storage port (SQL in `adapters.storage.SqlAgentStore`, `InMemoryAgentStore` here).
"""

from cti_gateway.agents.errors import (
    AgentExists,
    AgentRosterError,
    ConfiguredInSettings,
    EndpointTaken,
    UnknownAgent,
)
from cti_gateway.agents.memory import InMemoryAgentStore
from cti_gateway.agents.model import (
    AgentState,
    AgentStatus,
    DeviceStatus,
    QueueMembership,
    derive_state,
    state_changed_event,
    status_view,
)
from cti_gateway.agents.port import AgentAlreadyStored, AgentStore
from cti_gateway.agents.roster import AgentRoster, AgentSource, RosterEntry
from cti_gateway.agents.states import AgentStateService, membership_from_event

__all__ = [
    "AgentAlreadyStored",
    "AgentExists",
    "AgentRoster",
    "AgentRosterError",
    "AgentSource",
    "AgentState",
    "AgentStateService",
    "AgentStatus",
    "AgentStore",
    "ConfiguredInSettings",
    "DeviceStatus",
    "EndpointTaken",
    "InMemoryAgentStore",
    "QueueMembership",
    "RosterEntry",
    "UnknownAgent",
    "derive_state",
    "membership_from_event",
    "state_changed_event",
    "status_view",
]
