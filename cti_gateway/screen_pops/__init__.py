"""Screen pops: the caller's customer record on the agent's desktop as its phone starts ringing.

`AgentDirectory` holds the configured agents and resolves any Asterisk name of their phones
(`agent_for`, the call tracker's resolver). `ScreenPopService` sits between the call tracker and the
event hub: it looks callers up, attaches the record to the call, and emits `screen_pop` to the rung
agent before that agent sees the call answered. See docs/directory.md.
"""

from cti_gateway.screen_pops.agents import (
    Agent,
    AgentDirectory,
    AgentLike,
    UnknownEndpointFormat,
    endpoint_key,
)
from cti_gateway.screen_pops.pop import CUSTOMER_LOOKUP_KEY, caller_of, customer_number, screen_pop_event
from cti_gateway.screen_pops.service import CallDataPort, ScreenPopService

__all__ = [
    "CUSTOMER_LOOKUP_KEY",
    "Agent",
    "AgentDirectory",
    "AgentLike",
    "CallDataPort",
    "ScreenPopService",
    "UnknownEndpointFormat",
    "caller_of",
    "customer_number",
    "endpoint_key",
    "screen_pop_event",
]
