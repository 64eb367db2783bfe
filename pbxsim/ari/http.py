"""Plumbing shared by every ARI resource: authentication, parameters, error bodies, replies.

Each resource handler is a plain `async def handler(call: AriCall) -> Response`; `ari_endpoint`
turns it into a Starlette endpoint that authenticates, parses, maps errors and waits for the
events the request caused to be sent before replying (as Asterisk does).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pbxsim.ari.context import AriContext
from pbxsim.ari.errors import (
    BRIDGE_NOT_FOUND,
    CHANNEL_NOT_FOUND,
    NOT_IN_STASIS,
    RECORDING_NOT_FOUND,
    AriRequestError,
    bad_request,
    conflict,
    not_found,
)
from pbxsim.ari.formats import compact_json
from pbxsim.ari.params import AriParams, parse_params
from pbxsim.engine import errors as engine_errors

_log = logging.getLogger(__name__)

JSON_TYPE = "application/json"
AUTH_REALM_HEADER = {"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'}


@dataclass(frozen=True, slots=True)
class AriCall:
    """One authenticated request: the shared context, its parameters and its path values."""

    context: AriContext
    params: AriParams
    path: dict[str, str]


Handler = Callable[[AriCall], Awaitable[Response]]


def json_reply(document: Any, status: int = 200) -> Response:
    """A JSON reply as Asterisk writes it (compact, `application/json`)."""
    return Response(compact_json(document), status_code=status, media_type=JSON_TYPE)


def no_content() -> Response:
    """204 without a content type, as Asterisk sends it."""
    return Response(status_code=204)


def error_reply(error: AriRequestError) -> Response:
    """The status and body of a refused request."""
    return json_reply(error.body(), error.status)


def unauthorized() -> Response:
    """401 with Asterisk's body and realm."""
    return Response(
        compact_json({"message": "Authentication required"}),
        status_code=401,
        media_type=JSON_TYPE,
        headers=AUTH_REALM_HEADER,
    )


def engine_error_to_ari(error: engine_errors.EngineError) -> AriRequestError:
    """The usual ARI answer to an engine failure; handlers override it where Asterisk differs."""
    if isinstance(error, engine_errors.ChannelNotFound):
        return not_found(CHANNEL_NOT_FOUND)
    if isinstance(error, engine_errors.BridgeNotFound):
        return not_found(BRIDGE_NOT_FOUND)
    if isinstance(error, engine_errors.ChannelNotInStasis):
        return conflict(NOT_IN_STASIS)
    if isinstance(error, engine_errors.DuplicateId):
        return conflict("Channel with given unique ID already exists")
    if isinstance(error, engine_errors.PlaybackNotFound):
        return not_found("Playback not found")
    if isinstance(error, engine_errors.RecordingNotFound):
        return not_found(RECORDING_NOT_FOUND)
    if isinstance(error, engine_errors.RecordingExists):
        if error.live:
            return conflict(f"Recording '{error.name}' is already in progress")
        return conflict(f"Recording '{error.name}' already exists and can not be overwritten")
    return bad_request(str(error))


def is_authorized(context: AriContext, request: Request) -> bool:
    """Basic auth or `api_key`, checked before anything else."""
    return context.credentials.accepts(request.headers.get("authorization"), request.query_params)


def ari_endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a resource handler with authentication, parameter parsing and error mapping."""

    async def endpoint(request: Request) -> Response:
        context: AriContext = request.app.state.ari
        if not is_authorized(context, request):
            return unauthorized()
        try:
            params = parse_params(request.query_params, await request.body())
            reply = await handler(AriCall(context, params, dict(request.path_params)))
        except AriRequestError as error:
            reply = error_reply(error)
        except engine_errors.EngineError as error:
            reply = error_reply(engine_error_to_ari(error))
        except Exception:
            _log.exception("ARI %s %s failed", request.method, request.url.path)
            reply = error_reply(AriRequestError(500, "Internal Server Error"))
        await context.settle()
        return reply

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint
