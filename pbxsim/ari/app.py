"""The ARI ASGI application: every resource mounted under `/ari`, with Asterisk's 404/405 bodies."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from pbxsim.ari import bridges, channels, events_socket, media, system
from pbxsim.ari.context import AriContext
from pbxsim.ari.errors import AriRequestError
from pbxsim.ari.http import error_reply, is_authorized, unauthorized


async def _not_found(request: Request, exc: Exception) -> Response:
    if not is_authorized(request.app.state.ari, request):
        return unauthorized()
    return error_reply(AriRequestError(404, "Resource not found"))


async def _wrong_method(request: Request, exc: Exception) -> Response:
    if not is_authorized(request.app.state.ari, request):
        return unauthorized()
    return error_reply(AriRequestError(405, "Invalid method"))


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        return await _wrong_method(request, exc)
    if status == 404:
        return await _not_found(request, exc)
    return error_reply(AriRequestError(status, str(exc)))


def build_ari_app(context: AriContext) -> Starlette:
    """The Starlette app serving ARI for one engine; `context` is reachable as `app.state.ari`."""
    ari_routes: list[BaseRoute] = [
        *events_socket.routes(),
        *channels.routes(),
        *bridges.routes(),
        *media.routes(),
        *system.routes(),
    ]
    app = Starlette(
        routes=[Mount("/ari", routes=ari_routes)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.ari = context
    return app
