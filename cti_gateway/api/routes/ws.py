"""`/ws`: the event stream of one principal, with token auth, resume and documented close codes.

The app factory sets `app.state.event_hub` (an `EventHub`) and `app.state.authenticator` (a
`TokenAuthenticator`); `app.state.ws_options` (a `WebSocketOptions`) is optional (docs/events.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from cti_gateway.auth.dependencies import get_authenticator
from cti_gateway.auth.principal import Principal
from cti_gateway.auth.tokens import AuthError, RevokedToken, TokenAuthenticator
from cti_gateway.hub.hub import EventHub
from cti_gateway.hub.protocol import (
    AUTH_TIMEOUT_SECONDS,
    AuthMessage,
    BadClientMessage,
    CloseCode,
    PingMessage,
    error_frame,
    hello_frame,
    parse_client_message,
    pong_frame,
)
from cti_gateway.hub.stream import DropReason, Subscription, SubscriptionDropped
from cti_gateway.ports.store import StoreUnavailable

log = structlog.get_logger(__name__)

router = APIRouter(tags=["events"])

MAX_CLOSE_REASON_BYTES = 123


@dataclass(frozen=True, slots=True)
class WebSocketOptions:
    """Timings of `/ws`; the defaults suit production, tests shorten them."""

    auth_timeout: float = AUTH_TIMEOUT_SECONDS
    """How long to wait for the `auth` message when the URL carries no token."""
    token_recheck_seconds: float = 60.0
    """How often an open connection's token is checked again, so a revocation closes it (4410)."""
    close_timeout: float = 10.0
    """How long to wait for a close frame to get through to a client that does not read."""


class _Refused(Exception):
    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def get_event_hub(websocket: WebSocket) -> EventHub:
    hub = getattr(websocket.app.state, "event_hub", None)
    if not isinstance(hub, EventHub):
        raise RuntimeError(
            "app.state.event_hub is not set: the app factory must assign the gateway's EventHub"
        )
    return hub


def _options(websocket: WebSocket) -> WebSocketOptions:
    options = getattr(websocket.app.state, "ws_options", None)
    return options if isinstance(options, WebSocketOptions) else WebSocketOptions()


@router.websocket("/ws")
async def event_stream(websocket: WebSocket) -> None:
    """Authenticate (query `token=` or a first `auth` message), then stream events until either side stops."""
    hub, authenticator, options = get_event_hub(websocket), get_authenticator(websocket), _options(websocket)
    await websocket.accept()
    try:
        token, last_seq = await _credentials(websocket, options)
        principal = await _authenticate(authenticator, token)
    except _Refused as refusal:
        log.info("ws.refused", code=int(refusal.code), reason=refusal.reason)
        await _close(websocket, refusal.code, refusal.reason, options)
        return
    except WebSocketDisconnect:
        return
    subscription = hub.subscribe(principal, last_seq)
    log.info("ws.connected", stream=subscription.stream.key, last_seq=last_seq, token_id=principal.token_id)
    try:
        await websocket.send_text(hello_frame(subscription.stream.key, _principal_view(principal)))
        code, reason = await _serve(websocket, subscription, authenticator, token, options)
    except (WebSocketDisconnect, OSError):
        code, reason = None, "client went away"
    except Exception:
        log.exception("ws.failed", stream=subscription.stream.key)
        code, reason = CloseCode.INTERNAL_ERROR, "internal error; reconnect with last_seq"
    finally:
        hub.unsubscribe(subscription)
    log.info("ws.disconnected", stream=subscription.stream.key, code=code, reason=reason)
    if code is not None:
        await _close(websocket, code, reason, options)


async def _credentials(websocket: WebSocket, options: WebSocketOptions) -> tuple[str, int | None]:
    """The token and `last_seq` from the URL (or a Bearer header), else from the first message."""
    query = websocket.query_params
    last_seq: int | None = None
    if "last_seq" in query:
        raw = query["last_seq"]
        if not raw.isdigit():
            raise _Refused(
                CloseCode.BAD_MESSAGE, f"last_seq must be a non-negative integer, got {raw[:40]!r}"
            )
        last_seq = int(raw)
    token = query.get("token") or _bearer_token(websocket)
    if token:
        return token, last_seq
    try:
        message = await asyncio.wait_for(websocket.receive(), options.auth_timeout)
    except TimeoutError:
        raise _Refused(
            CloseCode.UNAUTHORIZED,
            f"no token: put it in ?token= or send an auth message within {options.auth_timeout:g} s",
        ) from None
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    try:
        first = parse_client_message(message.get("text") or message.get("bytes") or "")
    except BadClientMessage as exc:
        raise _Refused(CloseCode.BAD_MESSAGE, f"bad auth message: {exc}") from None
    if not isinstance(first, AuthMessage):
        raise _Refused(CloseCode.BAD_MESSAGE, f"the first message must be auth, not {first.type}")
    return first.token, first.last_seq if first.last_seq is not None else last_seq


def _bearer_token(websocket: WebSocket) -> str | None:
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


async def _authenticate(authenticator: TokenAuthenticator, token: str) -> Principal:
    try:
        principal = await authenticator.authenticate(token)
    except RevokedToken as exc:
        raise _Refused(CloseCode.TOKEN_REVOKED, str(exc)) from None
    except AuthError as exc:
        raise _Refused(CloseCode.UNAUTHORIZED, str(exc)) from None
    except StoreUnavailable:
        raise _Refused(
            CloseCode.TRY_AGAIN_LATER, "the token store cannot be reached; retry shortly"
        ) from None
    if not principal.reads_events:
        raise _Refused(
            CloseCode.FORBIDDEN,
            f"token {principal.token_id} may see no events: needs calls:read, or supervisor + queue:<name>",
        )
    return principal


async def _serve(
    websocket: WebSocket,
    subscription: Subscription,
    authenticator: TokenAuthenticator,
    token: str,
    options: WebSocketOptions,
) -> tuple[CloseCode | None, str]:
    """Run the sender, the reader and the guard until one ends; say how to close."""
    tasks = {
        asyncio.create_task(_pump(websocket, subscription), name="ws-pump"),
        asyncio.create_task(_listen(websocket), name="ws-listen"),
        asyncio.create_task(_guard(subscription, authenticator, token, options), name="ws-guard"),
    }
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    outcome = min(done, key=lambda task: not isinstance(task.exception(), SubscriptionDropped))
    error = outcome.exception()
    if isinstance(error, SubscriptionDropped):
        return _drop_close(error)
    if error is not None:
        raise error
    result: tuple[CloseCode | None, str] = outcome.result()
    return result


def _drop_close(dropped: SubscriptionDropped) -> tuple[CloseCode, str]:
    if dropped.reason is DropReason.SLOW_CONSUMER:
        return CloseCode.SLOW_CONSUMER, f"slow consumer: {dropped.detail}; reconnect with last_seq"
    return CloseCode.GOING_AWAY, dropped.detail


async def _pump(websocket: WebSocket, subscription: Subscription) -> tuple[CloseCode | None, str]:
    while True:
        await websocket.send_text(await subscription.next_frame())


async def _listen(websocket: WebSocket) -> tuple[CloseCode | None, str]:
    """Answer client messages; a malformed one gets an `error` frame and the stream goes on."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None, "client closed"
        try:
            parsed = parse_client_message(message.get("text") or message.get("bytes") or "")
        except BadClientMessage as exc:
            await websocket.send_text(error_frame("bad_message", str(exc)))
            continue
        if isinstance(parsed, PingMessage):
            await websocket.send_text(pong_frame(parsed.id))
        else:
            await websocket.send_text(
                error_frame("already_authenticated", "this connection is authenticated")
            )


async def _guard(
    subscription: Subscription, authenticator: TokenAuthenticator, token: str, options: WebSocketOptions
) -> tuple[CloseCode | None, str]:
    """Wait for the hub to drop the connection, re-checking the token now and then."""
    while True:
        try:
            dropped = await asyncio.wait_for(subscription.wait_dropped(), options.token_recheck_seconds)
        except TimeoutError:
            try:
                await authenticator.authenticate(token)
            except RevokedToken as exc:
                return CloseCode.TOKEN_REVOKED, str(exc)
            except AuthError as exc:
                return CloseCode.UNAUTHORIZED, str(exc)
            except StoreUnavailable:
                continue
        else:
            return _drop_close(dropped)


async def _close(websocket: WebSocket, code: CloseCode, reason: str, options: WebSocketOptions) -> None:
    if websocket.application_state is WebSocketState.DISCONNECTED:
        return
    clipped = reason.encode("utf-8")[:MAX_CLOSE_REASON_BYTES].decode("utf-8", "ignore")
    with contextlib.suppress(Exception):
        await asyncio.wait_for(websocket.close(int(code), clipped), options.close_timeout)


def _principal_view(principal: Principal) -> dict[str, Any]:
    return {
        "token_id": principal.token_id,
        "name": principal.name,
        "kind": principal.kind.value,
        "agent_id": principal.agent_id,
        "scopes": sorted(principal.scopes),
    }
