"""`/api/v1/agents`: the agent roster and each agent's state; adding, changing and removing needs `admin`.

Reads need `calls:read` or `supervisor`, and show what the token may see: an agent token its own
agent, a supervisor the agents of its queues, `calls:read` everyone. Agents from the settings file are
read-only here (409); agents added here are stored and take effect at once.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cti_gateway.agents import (
    AgentExists,
    AgentRoster,
    ConfiguredInSettings,
    EndpointTaken,
    RosterEntry,
    UnknownAgent,
)
from cti_gateway.auth.dependencies import Admin, CurrentPrincipal
from cti_gateway.auth.principal import Principal, Scope
from cti_gateway.events.model import Audience
from cti_gateway.ports.store import StoreUnavailable
from cti_gateway.screen_pops import UnknownEndpointFormat
from cti_gateway.settings import AgentSettings

router = APIRouter(prefix="/api/v1", tags=["agents"])
T = TypeVar("T")

STORE_RETRY_AFTER_SECONDS = 5

_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token."},
    403: {"description": "The token holds neither `calls:read` nor `supervisor`, or may not see this agent."},
    404: {"description": "No such agent."},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token."},
    403: {"description": "The token lacks the `admin` scope."},
    404: {"description": "No such agent."},
    409: {"description": "The id or the endpoint is taken, or the agent comes from the settings file."},
    422: {"description": "A malformed field, named in `loc`."},
    503: {"description": "The database is unreachable; nothing changed. Retry after Retry-After seconds."},
}


class AgentRosterNotConfigured(RuntimeError):
    """The app was built without `app.state.agent_roster`; the composition root must set it."""


def get_roster(request: Request) -> AgentRoster:
    roster = getattr(request.app.state, "agent_roster", None)
    if not isinstance(roster, AgentRoster):
        raise AgentRosterNotConfigured("app.state.agent_roster must be an AgentRoster (see wiring.py)")
    return roster


async def agent_reader(principal: CurrentPrincipal) -> Principal:
    """The caller, if it may read agents (`calls:read`, `supervisor` or `admin`); 403 otherwise."""
    if not (principal.has(Scope.CALLS_READ) or principal.has(Scope.SUPERVISOR)):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"token {principal.token_id} holds neither the calls:read nor the supervisor scope",
        )
    return principal


Roster = Annotated[AgentRoster, Depends(get_roster)]
AgentReader = Annotated[Principal, Depends(agent_reader)]


class NewAgent(AgentSettings):
    """An agent to add: the same fields and rules as an entry of the settings file's `agents:` list."""


class AgentChange(BaseModel):
    """New values for an agent added through the API; a field left out keeps its value (PATCH)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="Checked like `agents[].name` of the settings file.")
    endpoint: str | None = Field(None, description="Checked like `agents[].endpoint`: PJSIP/1001 …")


class AgentReplacement(BaseModel):
    """Both values of an agent added through the API (PUT)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    endpoint: str


class AgentView(BaseModel):
    """An agent, where it is configured, and its current state (as in `agent.state_changed`)."""

    id: str
    name: str
    endpoint: str
    source: Literal["settings", "api"]
    state: str
    reason: str | None
    queues: list[str]
    call_id: str | None
    since: float


class AgentList(BaseModel):
    agents: list[AgentView]


def _view(entry: RosterEntry) -> AgentView:
    status_ = entry.status
    return AgentView(
        id=entry.agent.id,
        name=entry.agent.name,
        endpoint=entry.agent.endpoint,
        source=entry.source,
        state=status_.state.value,
        reason=status_.reason,
        queues=list(status_.queues),
        call_id=status_.call_id,
        since=status_.since,
    )


def _may_see(principal: Principal, entry: RosterEntry) -> bool:
    return principal.may_see_audience(Audience(frozenset({entry.agent.id}), frozenset(entry.status.queues)))


def _field_error(field: str, message: str, value: object) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": message, "input": value}]
    )


def _checked(agent_id: str, name: str, endpoint: str) -> AgentSettings:
    """Apply the settings file's rules to changed values; a 422 names the offending field."""
    try:
        return AgentSettings(id=agent_id, name=name, endpoint=endpoint)
    except ValidationError as exc:
        errors = [
            {"type": e["type"], "loc": ("body", *e["loc"]), "msg": e["msg"], "input": e.get("input")}
            for e in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from None


async def _apply(change: Awaitable[T]) -> T:
    """Run a roster change, turning its refusals into HTTP answers."""
    try:
        return await change
    except UnknownAgent as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    except (AgentExists, EndpointTaken, ConfiguredInSettings) as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except StoreUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the agent store cannot be reached right now; nothing changed, retry shortly",
            headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)},
        ) from None


@router.get("/agents", response_model=AgentList, responses=_READ_ERRORS)
async def list_agents(principal: AgentReader, roster: Roster) -> AgentList:
    """Every agent this token may see, with its state."""
    return AgentList(agents=[_view(e) for e in roster.entries() if _may_see(principal, e)])


@router.get("/agents/{agent_id}", response_model=AgentView, responses=_READ_ERRORS)
async def get_agent(agent_id: str, principal: AgentReader, roster: Roster) -> AgentView:
    """One agent and its state."""
    try:
        entry = roster.get(agent_id)
    except UnknownAgent as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    if not _may_see(principal, entry):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail=f"token {principal.token_id} may not see agent {agent_id!r}"
        )
    return _view(entry)


@router.post(
    "/agents", status_code=status.HTTP_201_CREATED, response_model=AgentView, responses=_WRITE_ERRORS
)
async def add_agent(body: NewAgent, principal: Admin, roster: Roster, response: Response) -> AgentView:
    """Add an agent; its phone pops and its state is reported from now on, and it survives a restart."""
    try:
        entry = await _apply(roster.add(body))
    except UnknownEndpointFormat as exc:
        raise _field_error("endpoint", str(exc), body.endpoint) from None
    response.headers["Location"] = f"/api/v1/agents/{entry.agent.id}"
    return _view(entry)


@router.put("/agents/{agent_id}", response_model=AgentView, responses=_WRITE_ERRORS)
async def replace_agent(agent_id: str, body: AgentReplacement, principal: Admin, roster: Roster) -> AgentView:
    """Set the name and phone of an agent added through the API."""
    return await _change(roster, agent_id, body.name, body.endpoint)


@router.patch("/agents/{agent_id}", response_model=AgentView, responses=_WRITE_ERRORS)
async def change_agent(agent_id: str, body: AgentChange, principal: Admin, roster: Roster) -> AgentView:
    """Change the name or the phone of an agent added through the API."""
    return await _change(roster, agent_id, body.name, body.endpoint)


async def _change(roster: AgentRoster, agent_id: str, name: str | None, endpoint: str | None) -> AgentView:
    try:
        current = roster.get(agent_id).agent
    except UnknownAgent as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    checked = _checked(
        agent_id, current.name if name is None else name, current.endpoint if endpoint is None else endpoint
    )
    try:
        entry = await _apply(roster.change(agent_id, name=checked.name, endpoint=checked.endpoint))
    except UnknownEndpointFormat as exc:
        raise _field_error("endpoint", str(exc), endpoint) from None
    return _view(entry)


@router.delete(
    "/agents/{agent_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=_WRITE_ERRORS,
)
async def remove_agent(agent_id: str, principal: Admin, roster: Roster) -> Response:
    """Remove an agent added through the API; its phone no longer pops."""
    await _apply(roster.remove(agent_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
