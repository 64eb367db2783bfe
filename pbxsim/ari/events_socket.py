"""`/ari/events`: the WebSocket on which applications register and receive their events.

Refusals match Asterisk: a bad key gets 401 JSON before the upgrade, a missing `app` gets 400 text/html.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from pbxsim.ari.context import AriContext
from pbxsim.ari.http import unauthorized
from pbxsim.ari.hub import EventSession

_MISSING_APP_PAGE = """<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>400 Bad Request</title>
</head><body>
<h1>Bad Request</h1>
<p>HTTP request is missing param: [app]</p>
<hr />
<address>{server}</address>
</body></html>
"""


async def _refuse(websocket: WebSocket, response: Response) -> None:
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=1008)


async def events(websocket: WebSocket) -> None:
    """Register the `app` list for this socket, stream its events until the client goes away."""
    context: AriContext = websocket.app.state.ari
    query = websocket.query_params
    if not context.credentials.accepts(websocket.headers.get("authorization"), query):
        await _refuse(websocket, unauthorized())
        return
    applications = tuple(name for name in query.get("app", "").split(",") if name)
    if not applications:
        page = _MISSING_APP_PAGE.format(server=context.identity.server_name)
        await _refuse(websocket, Response(page, status_code=400, headers={"content-type": "text/html"}))
        return
    subscribe_all = query.get("subscribeAll", "false").lower() in ("true", "yes", "1")
    await websocket.accept()
    session = EventSession(applications, websocket.send_text, context.identity.entity_id)
    for application in applications:
        context.router.register(application, subscribe_all=subscribe_all)
        context.engine.register_application(application)
    context.hub.add(session)
    pump = asyncio.ensure_future(session.pump())
    try:
        with contextlib.suppress(WebSocketDisconnect):
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass
    finally:
        pump.cancel()
        context.hub.remove(session)
        for application in applications:
            if context.hub.sessions_of(application) == 0:
                context.router.unregister(application)
                context.engine.unregister_application(application)


def routes() -> list[WebSocketRoute]:
    """The events WebSocket route, mounted under `/ari`."""
    return [WebSocketRoute("/events", events)]
