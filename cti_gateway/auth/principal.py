"""The authenticated caller of a REST or WebSocket endpoint, and the scopes it holds."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cti_gateway.events.model import Audience, CtiEvent


class Scope(StrEnum):
    """API key scopes (a public contract: `cti-gateway tokens create --scope S`)."""

    CALLS_WRITE = "calls:write"
    CALLS_READ = "calls:read"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"


QUEUE_SCOPE_PREFIX = "queue:"
"""`queue:<name>` scopes name the queues a supervisor token watches (`--scope queue:sales`)."""


class PrincipalKind(StrEnum):
    AGENT = "agent"
    INTEGRATION = "integration"


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified token: an agent's own, or an integration's with its scopes."""

    token_id: str
    name: str
    kind: PrincipalKind
    agent_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def queues(self) -> frozenset[str]:
        return frozenset(
            s.removeprefix(QUEUE_SCOPE_PREFIX) for s in self.scopes if s.startswith(QUEUE_SCOPE_PREFIX)
        )

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes or Scope.ADMIN.value in self.scopes

    @property
    def stream_key(self) -> str:
        """The event stream this principal reads: one per agent, one per integration token."""
        return f"agent:{self.agent_id}" if self.kind is PrincipalKind.AGENT else f"token:{self.token_id}"

    @property
    def reads_events(self) -> bool:
        """Whether `may_see` can ever be true: a WebSocket for a principal that reads nothing is refused."""
        if self.kind is PrincipalKind.AGENT:
            return self.agent_id is not None
        return self.has(Scope.CALLS_READ) or (Scope.SUPERVISOR.value in self.scopes and bool(self.queues))

    def may_see(self, event: CtiEvent) -> bool:
        """Scope rule: agents see only their own events; supervisors their queues; readers and admins all."""
        return self.may_see_audience(event.audience)

    def may_see_audience(self, audience: Audience) -> bool:
        """The scope rule for anything addressed to `audience`: an event, or a call in a snapshot."""
        if self.kind is PrincipalKind.AGENT:
            return self.agent_id in audience.agent_ids
        if self.has(Scope.CALLS_READ):
            return True
        if Scope.SUPERVISOR.value in self.scopes:
            return bool(self.queues & audience.queues)
        return False
