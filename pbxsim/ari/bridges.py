"""`/bridges` resource: mixing/holding bridges that Stasis applications build and fill."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from pbxsim.ari.context import AriContext
from pbxsim.ari.errors import (
    BRIDGE_NOT_FOUND,
    CHANNEL_NOT_FOUND,
    NOT_IN_STASIS,
    bad_request,
    conflict,
    not_found,
    unprocessable,
)
from pbxsim.ari.http import AriCall, ari_endpoint, json_reply, no_content
from pbxsim.ari.media import start_playback, start_recording
from pbxsim.ari.representations import bridge_json
from pbxsim.engine import errors as engine_errors
from pbxsim.engine.model import BridgeSnapshot, ChannelSnapshot

BRIDGE_TYPES = frozenset(
    {"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu", "video_single", "sdp_label"}
)


def _bridge(context: AriContext, bridge_id: str) -> BridgeSnapshot:
    snapshot = context.engine.bridge(bridge_id)
    if snapshot is None:
        raise not_found(BRIDGE_NOT_FOUND)
    return snapshot


def _channels_for_bridge(call: AriCall) -> list[ChannelSnapshot]:
    """The `channel` list: 400 for an unknown channel, 422 for one not in Stasis (Asterisk's codes here)."""
    names = call.params.csv("channel")
    if not names:
        raise bad_request("Required parameter 'channel' not provided.")
    snapshots = []
    for name in names:
        snapshot = call.context.engine.channel(name)
        if snapshot is None:
            raise bad_request(CHANNEL_NOT_FOUND)
        if snapshot.stasis_app is None:
            raise unprocessable(NOT_IN_STASIS)
        snapshots.append(snapshot)
    return snapshots


async def list_bridges(call: AriCall) -> Response:
    """Every bridge."""
    return json_reply([bridge_json(b) for b in call.context.engine.bridges()])


async def create_bridge(call: AriCall) -> Response:
    """Create a bridge (`type` is a comma list such as `mixing,dtmf_events`)."""
    bridge_type = call.params.text("type", "mixing") or "mixing"
    if any(part not in BRIDGE_TYPES for part in bridge_type.split(",")):
        raise bad_request(f"Invalid bridge type '{bridge_type}'")
    bridge_id = call.path.get("bridge_id") or call.params.get("bridgeId") or None
    if bridge_id is not None and call.context.engine.bridge(bridge_id) is not None:
        raise conflict("Bridge with the same bridgeId already exists")
    try:
        snapshot = call.context.engine.create_bridge(
            bridge_type, name=call.params.text("name"), bridge_id=bridge_id
        )
    except engine_errors.DuplicateId:
        raise conflict("Bridge with the same bridgeId already exists") from None
    return json_reply(bridge_json(snapshot))


async def get_bridge(call: AriCall) -> Response:
    """One bridge."""
    return json_reply(bridge_json(_bridge(call.context, call.path["bridge_id"])))


async def destroy_bridge(call: AriCall) -> Response:
    """Destroy a bridge; its channels leave it first."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    call.context.engine.destroy_bridge(bridge_id)
    return no_content()


async def add_channel(call: AriCall) -> Response:
    """Put Stasis channels into the bridge, in the order given."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    for channel in _channels_for_bridge(call):
        call.context.engine.add_to_bridge(bridge_id, channel.id)
    return no_content()


async def remove_channel(call: AriCall) -> Response:
    """Take channels out of the bridge; 422 for one that is not in it."""
    bridge_id = call.path["bridge_id"]
    bridge = _bridge(call.context, bridge_id)
    channels = _channels_for_bridge(call)
    for channel in channels:
        if channel.id not in bridge.channel_ids:
            raise unprocessable("Channel not in this bridge")
    for channel in channels:
        call.context.engine.remove_from_bridge(bridge_id, channel.id)
    return no_content()


async def start_moh(call: AriCall) -> Response:
    """Play music on hold to the whole bridge (an Announcer channel joins it)."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    call.context.engine.bridge_moh_start(bridge_id, call.params.text("mohClass", "default") or "default")
    return no_content()


async def stop_moh(call: AriCall) -> Response:
    """Stop the bridge's music on hold."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    call.context.engine.bridge_moh_stop(bridge_id)
    return no_content()


async def play(call: AriCall) -> Response:
    """Play media to everyone in the bridge."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    return start_playback(call, f"bridge:{bridge_id}")


async def record(call: AriCall) -> Response:
    """Record the bridge's mixed audio."""
    bridge_id = call.path["bridge_id"]
    _bridge(call.context, bridge_id)
    return start_recording(call, f"bridge:{bridge_id}")


def routes() -> list[Route]:
    """The `/bridges` routes, mounted under `/ari`."""
    base = "/bridges/{bridge_id}"
    return [
        Route("/bridges", ari_endpoint(list_bridges), methods=["GET"]),
        Route("/bridges", ari_endpoint(create_bridge), methods=["POST"]),
        Route(base, ari_endpoint(get_bridge), methods=["GET"]),
        Route(base, ari_endpoint(create_bridge), methods=["POST"]),
        Route(base, ari_endpoint(destroy_bridge), methods=["DELETE"]),
        Route(f"{base}/addChannel", ari_endpoint(add_channel), methods=["POST"]),
        Route(f"{base}/removeChannel", ari_endpoint(remove_channel), methods=["POST"]),
        Route(f"{base}/moh", ari_endpoint(start_moh), methods=["POST"]),
        Route(f"{base}/moh", ari_endpoint(stop_moh), methods=["DELETE"]),
        Route(f"{base}/play", ari_endpoint(play), methods=["POST"]),
        Route(f"{base}/play/{{playback_id}}", ari_endpoint(play), methods=["POST"]),
        Route(f"{base}/record", ari_endpoint(record), methods=["POST"]),
    ]
