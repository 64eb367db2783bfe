"""The `/ws` wire protocol apart from any socket: close codes, client messages and control frames.

Shared by the WebSocket route and the `cti-gateway events` client (docs/events.md is the reference).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cti_gateway.hub.envelope import dumps

AUTH_TIMEOUT_SECONDS = 10.0
"""How long the server waits for the first message when the token is not in the URL."""

MAX_CLIENT_MESSAGE_BYTES = 4096


class CloseCode(IntEnum):
    """Why the server closed a `/ws` connection; 4xxx codes are ours (docs/events.md)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    """The gateway is shutting down: reconnect with `last_seq`."""
    INTERNAL_ERROR = 1011
    TRY_AGAIN_LATER = 1013
    """The token store cannot be reached right now: reconnect later."""
    BAD_MESSAGE = 4400
    """The first message was not a valid `auth` message (sent only before authentication)."""
    UNAUTHORIZED = 4401
    """No token (none in the URL and no `auth` message in time), or a token the gateway does not know."""
    FORBIDDEN = 4403
    """A valid token whose scopes let it see no events (e.g. only `calls:write`)."""
    SLOW_CONSUMER = 4408
    """The client did not read fast enough; its send queue overflowed. Reconnect with `last_seq`."""
    TOKEN_REVOKED = 4410
    """The token was revoked (at connect time or while connected). Get a new token."""

    @property
    def may_resume(self) -> bool:
        """Whether reconnecting with the same token can succeed."""
        return self in _RESUMABLE


_RESUMABLE = frozenset(
    {CloseCode.GOING_AWAY, CloseCode.INTERNAL_ERROR, CloseCode.TRY_AGAIN_LATER, CloseCode.SLOW_CONSUMER}
)


class _ClientMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuthMessage(_ClientMessage):
    """`{"type": "auth", "token": "...", "last_seq": N}`: the first message when the URL has no token."""

    type: Literal["auth"]
    token: str = Field(min_length=1, max_length=512)
    last_seq: int | None = Field(None, ge=0)


class PingMessage(_ClientMessage):
    """`{"type": "ping"}`: answered with `{"type": "pong"}`, to check the connection end to end."""

    type: Literal["ping"]
    id: str | int | None = None


ClientMessage = Annotated[AuthMessage | PingMessage, Field(discriminator="type")]
_client_message: TypeAdapter[AuthMessage | PingMessage] = TypeAdapter(ClientMessage)


class BadClientMessage(ValueError):
    """A client message that is not JSON or not one of the documented shapes; the text says what is wrong."""


def parse_client_message(text: str | bytes) -> AuthMessage | PingMessage:
    """Validate one client message; raises `BadClientMessage` naming the offending field."""
    if len(text) > MAX_CLIENT_MESSAGE_BYTES:
        raise BadClientMessage(f"message is {len(text)} bytes long; the limit is {MAX_CLIENT_MESSAGE_BYTES}")
    try:
        return _client_message.validate_json(text)
    except ValidationError as exc:
        raise BadClientMessage(_describe(exc)) from None


def _describe(error: ValidationError) -> str:
    problems = []
    for problem in error.errors(include_url=False):
        where = ".".join(str(part) for part in problem["loc"]) or "message"
        if problem["type"] == "json_invalid":
            return "message is not valid JSON"
        if problem["type"] == "union_tag_invalid":
            return "type must be one of: auth, ping"
        if problem["type"] == "union_tag_not_found":
            return "type is missing (one of: auth, ping)"
        problems.append(f"{where}: {problem['msg']}")
    return "; ".join(problems)


def error_frame(code: str, message: str) -> str:
    """A control frame (no `seq`): the server could not act on a client message; nothing was lost."""
    return dumps({"type": "error", "code": code, "message": message})


def pong_frame(ping_id: str | int | None) -> str:
    return dumps({"type": "pong", "id": ping_id})


def hello_frame(stream: str, principal: dict[str, Any]) -> str:
    """The first frame after authentication: which stream this connection reads, and as whom."""
    return dumps({"type": "hello", "stream": stream, "principal": principal})
