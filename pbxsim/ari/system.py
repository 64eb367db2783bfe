"""`/asterisk` and `/applications` resources: who the simulated Asterisk is and which apps are registered."""

from __future__ import annotations

import platform
import time
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from pbxsim.ari.errors import bad_request, not_found
from pbxsim.ari.formats import ari_timestamp
from pbxsim.ari.http import AriCall, ari_endpoint, json_reply, no_content

INFO_SECTIONS = ("build", "system", "config", "status")


def asterisk_info(call: AriCall) -> dict[str, Any]:
    """The AsteriskInfo model with Asterisk's section order."""
    context = call.context
    started = ari_timestamp(context.started_at)
    sections: dict[str, Any] = {
        "build": {
            "os": platform.system() or "Linux",
            "kernel": platform.release(),
            "options": "",
            "machine": platform.machine(),
            "date": "2026-11-22 19:00:00 UTC",
            "user": "pbxsim",
        },
        "system": {"version": context.identity.version, "entity_id": context.identity.entity_id},
        "config": {
            "name": context.identity.system_name,
            "default_language": "en",
            "setid": {"user": "", "group": ""},
        },
        "status": {"startup_time": started, "last_reload_time": started},
    }
    wanted = call.params.csv("only") or list(INFO_SECTIONS)
    unknown = [section for section in wanted if section not in INFO_SECTIONS]
    if unknown:
        raise bad_request(f"Unknown info section '{unknown[0]}'")
    return {name: sections[name] for name in INFO_SECTIONS if name in wanted}


async def get_info(call: AriCall) -> Response:
    """`GET /asterisk/info`, optionally `?only=system,status`."""
    return json_reply(asterisk_info(call))


async def ping(call: AriCall) -> Response:
    """`GET /asterisk/ping`."""
    return json_reply(
        {
            "asterisk_id": call.context.identity.entity_id,
            "ping": "pong",
            "timestamp": ari_timestamp(time.time()),
        }
    )


async def get_global_variable(call: AriCall) -> Response:
    """A global variable (empty when unset, as Asterisk answers)."""
    name = call.params.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    return json_reply({"value": call.context.engine.get_variable(None, name) or ""})


async def set_global_variable(call: AriCall) -> Response:
    """Set a global variable."""
    name = call.params.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    call.context.engine.set_variable(None, name, call.params.text("value"))
    return no_content()


def _application(call: AriCall, name: str) -> dict[str, Any]:
    router = call.context.router
    return {
        "name": name,
        "channel_ids": router.channel_ids(name),
        "bridge_ids": router.bridge_ids(name),
        "endpoint_ids": [],
        "device_names": [],
        "events_allowed": [],
        "events_disallowed": [],
    }


async def list_applications(call: AriCall) -> Response:
    """Every application with an events WebSocket."""
    return json_reply([_application(call, name) for name in call.context.router.applications])


async def get_application(call: AriCall) -> Response:
    """One registered application and what it watches."""
    name = call.path["application_name"]
    if not call.context.router.is_registered(name):
        raise not_found("Application not found")
    return json_reply(_application(call, name))


def routes() -> list[Route]:
    """The `/asterisk` and `/applications` routes, mounted under `/ari`."""
    return [
        Route("/asterisk/info", ari_endpoint(get_info), methods=["GET"]),
        Route("/asterisk/ping", ari_endpoint(ping), methods=["GET"]),
        Route("/asterisk/variable", ari_endpoint(get_global_variable), methods=["GET"]),
        Route("/asterisk/variable", ari_endpoint(set_global_variable), methods=["POST"]),
        Route("/applications", ari_endpoint(list_applications), methods=["GET"]),
        Route("/applications/{application_name}", ari_endpoint(get_application), methods=["GET"]),
    ]
