"""`/channels` resource: originate, inspect and control calls, as Asterisk 22's ARI does."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from pbxsim.ari.context import AriContext
from pbxsim.ari.errors import (
    CHANNEL_NOT_FOUND,
    NOT_IN_STASIS,
    AllocationFailed,
    bad_request,
    conflict,
    not_found,
    unprocessable,
)
from pbxsim.ari.http import AriCall, Handler, ari_endpoint, engine_error_to_ari, json_reply, no_content
from pbxsim.ari.media import start_playback, start_recording
from pbxsim.ari.representations import channel_json
from pbxsim.engine import errors as engine_errors
from pbxsim.engine.model import ChannelSnapshot, PartyId

# Hangup `reason` names and their Q.850 causes (Asterisk's ari/resource_channels.c).
HANGUP_REASONS = {
    "normal": 16,
    "busy": 17,
    "congestion": 34,
    "no_answer": 19,
    "timeout": 18,
    "rejected": 21,
    "unallocated": 1,
    "normal_unspecified": 31,
    "number_incomplete": 28,
    "codec_mismatch": 58,
    "interworking": 127,
    "failure": 38,
    "answered_elsewhere": 26,
}
SIMULATED_TECHNOLOGIES = frozenset({"Local"})
SNOOP_DIRECTIONS = frozenset({"none", "both", "out", "in"})
_CALLER_ID = re.compile(r'^\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^<]*?))\s*<(?P<number>[^>]*)>\s*$')


def parse_caller_id(text: str) -> PartyId:
    """`"Name" <number>`, `Name <number>` or a bare number, as ast_callerid_parse reads them."""
    match = _CALLER_ID.match(text)
    if match is None:
        return PartyId(number=text.strip())
    name = match.group("quoted") if match.group("quoted") is not None else (match.group("bare") or "")
    return PartyId(number=match.group("number").strip(), name=name.strip())


def _channel(context: AriContext, channel_id: str) -> ChannelSnapshot:
    snapshot = context.engine.channel(channel_id)
    if snapshot is None:
        raise not_found(CHANNEL_NOT_FOUND)
    return snapshot


def _stasis_channel(context: AriContext, channel_id: str) -> ChannelSnapshot:
    snapshot = _channel(context, channel_id)
    if snapshot.stasis_app is None:
        raise conflict(NOT_IN_STASIS)
    return snapshot


def _check_technology(endpoint: str) -> None:
    technology, slash, resource = endpoint.partition("/")
    if not slash or not resource:
        raise bad_request("Invalid endpoint")
    if technology not in SIMULATED_TECHNOLOGIES:
        raise AllocationFailed()


# --- listing and originating ----------------------------------------------------------------------


async def list_channels(call: AriCall) -> Response:
    """Every live channel."""
    return json_reply([channel_json(c) for c in call.context.engine.channels()])


async def get_channel(call: AriCall) -> Response:
    """One channel by id."""
    return json_reply(channel_json(_channel(call.context, call.path["channel_id"])))


async def originate(call: AriCall) -> Response:
    """Create a Local pair and dial it; answer as soon as `;1` exists, the call goes on in the background."""
    params = call.params
    endpoint = params.get("endpoint")
    if not endpoint:
        raise bad_request("Endpoint must be specified")
    app = params.get("app") or None
    extension = params.get("extension") or None
    if app is None and extension is None:
        raise bad_request("Application or extension must be specified")
    _check_technology(endpoint)
    channel_id = call.path.get("channel_id") or params.get("channelId") or None
    other_channel_id = params.get("otherChannelId") or None
    chosen_ids = [i for i in (channel_id, other_channel_id) if i]
    caller_id = parse_caller_id(params.text("callerId")) if params.get("callerId") else None
    context = call.context
    if app is not None:
        context.router.expect_originated(app, chosen_ids)
    loop = asyncio.get_running_loop()
    created: asyncio.Future[ChannelSnapshot] = loop.create_future()

    def on_created(snapshot: ChannelSnapshot) -> None:
        if not created.done():
            created.set_result(snapshot)

    work = asyncio.ensure_future(
        context.engine.originate(
            endpoint,
            context=(params.get("context") or "default") if app is None else None,
            exten=extension if app is None else None,
            priority=params.integer("priority", 1),
            app=app,
            app_args=params.csv("appArgs"),
            timeout=float(params.integer("timeout", 30)),
            caller_id=caller_id,
            variables=dict(call.params.variables),
            channel_id=channel_id,
            other_channel_id=other_channel_id,
            on_created=on_created,
        )
    )
    waiting: list[asyncio.Future[Any]] = [created, work]
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if created.done():
        context.spawn(work)
        return json_reply(channel_json(created.result()))
    context.router.forget_expected(chosen_ids)
    error = work.exception()
    if isinstance(error, engine_errors.InvalidEndpoint):
        raise AllocationFailed() from error
    if isinstance(error, engine_errors.EngineError):
        raise engine_error_to_ari(error) from error
    if error is not None:
        raise error
    outcome = work.result()
    if outcome.channel is None:
        raise AllocationFailed()
    return json_reply(channel_json(outcome.channel))


async def create_channel(call: AriCall) -> Response:
    """Create a channel without dialing it (`/channels/create`; dial it with `/dial`)."""
    params = call.params
    endpoint = params.get("endpoint")
    if not endpoint:
        raise bad_request("Endpoint must be specified")
    app = params.required("app")
    _check_technology(endpoint)
    ids = [i for i in (params.get("channelId"), params.get("otherChannelId")) if i]
    call.context.router.expect_originated(app, ids)
    try:
        snapshot = call.context.engine.create_channel(
            endpoint,
            app=app,
            app_args=params.csv("appArgs"),
            channel_id=params.get("channelId") or None,
            other_channel_id=params.get("otherChannelId") or None,
            variables=dict(params.variables),
        )
    except engine_errors.InvalidEndpoint:
        call.context.router.forget_expected(ids)
        raise AllocationFailed() from None
    except engine_errors.EngineError:
        call.context.router.forget_expected(ids)
        raise
    return json_reply(channel_json(snapshot))


async def dial(call: AriCall) -> Response:
    """Dial a channel made by `/channels/create`."""
    channel_id = call.path["channel_id"]
    _channel(call.context, channel_id)
    caller = call.params.get("caller") or None
    timeout = float(call.params.integer("timeout", 30))
    call.context.spawn(call.context.engine.dial(channel_id, caller_id=caller, timeout=timeout))
    return no_content()


# --- hangup and call control ----------------------------------------------------------------------


def _hangup_cause(call: AriCall) -> int:
    reason = call.params.get("reason")
    reason_code = call.params.get("reason_code")
    if reason and reason_code:
        raise bad_request("The reason and reason_code can't both be specified")
    if reason_code:
        try:
            return int(reason_code)
        except ValueError:
            raise bad_request("Invalid reason for hangup reason_code provided") from None
    if reason:
        if reason not in HANGUP_REASONS:
            raise bad_request("Invalid reason for hangup reason provided")
        return HANGUP_REASONS[reason]
    return 16


async def hangup(call: AriCall) -> Response:
    """Hang up any channel, in Stasis or not (ChannelHangupRequest says cause 32, soft)."""
    cause = _hangup_cause(call)
    channel_id = call.path["channel_id"]
    _channel(call.context, channel_id)
    call.context.engine.hangup(channel_id, cause, soft_request=True)
    return no_content()


def _stasis_operation(name: str, operation: str) -> Handler:
    async def handler(call: AriCall) -> Response:
        channel_id = call.path["channel_id"]
        _stasis_channel(call.context, channel_id)
        method = getattr(call.context.engine, operation)
        if operation == "moh_start":
            method(channel_id, call.params.text("mohClass", "default") or "default")
        else:
            method(channel_id)
        return no_content()

    handler.__name__ = name
    handler.__doc__ = f"Channel indication `{operation}` on a channel in Stasis."
    return handler


async def acknowledge_in_stasis(call: AriCall) -> Response:
    """Mute/unmute and progress: accepted on a Stasis channel; Local channels show nothing of them."""
    _stasis_channel(call.context, call.path["channel_id"])
    direction = call.params.get("direction")
    if direction is not None and direction not in ("both", "in", "out"):
        raise bad_request("Invalid direction specified")
    return no_content()


async def answer(call: AriCall) -> Response:
    """Answer a channel in Stasis."""
    channel_id = call.path["channel_id"]
    _stasis_channel(call.context, channel_id)
    call.context.engine.answer(channel_id)
    return no_content()


async def continue_in_dialplan(call: AriCall) -> Response:
    """Leave Stasis for the dialplan: a new location (priority 1 by default) or the next priority."""
    channel_id = call.path["channel_id"]
    _stasis_channel(call.context, channel_id)
    context = call.params.get("context") or None
    extension = call.params.get("extension") or None
    moving = context is not None or extension is not None or bool(call.params.get("priority"))
    call.context.engine.continue_in_dialplan(
        channel_id,
        context=context,
        exten=extension,
        priority=call.params.integer("priority", 1) if moving else None,
    )
    return no_content()


async def move(call: AriCall) -> Response:
    """Hand the channel to another app; an unregistered app gives ApplicationMoveFailed and still 204."""
    channel_id = call.path["channel_id"]
    app = call.params.required("app")
    _stasis_channel(call.context, channel_id)
    call.context.engine.move_to_application(channel_id, app, call.params.csv("appArgs"))
    return no_content()


async def redirect(call: AriCall) -> Response:
    """Transfer to an endpoint; Local channels cannot transfer, so a Local target does nothing (204)."""
    channel_id = call.path["channel_id"]
    endpoint = call.params.required("endpoint")
    snapshot = _stasis_channel(call.context, channel_id)
    technology = endpoint.partition("/")[0]
    if technology.lower() != snapshot.technology.lower():
        raise unprocessable(
            f"Endpoint technology '{technology}' does not match channel technology '{snapshot.technology}'"
        )
    return no_content()


async def send_dtmf(call: AriCall) -> Response:
    """Queue DTMF on the channel; the reply does not wait for the digits."""
    channel_id = call.path["channel_id"]
    digits = call.params.get("dtmf")
    if not digits:
        raise bad_request("DTMF is required")
    _stasis_channel(call.context, channel_id)
    params = call.params
    call.context.spawn(
        call.context.engine.send_dtmf(
            channel_id,
            digits,
            before_ms=params.integer("before", 0),
            between_ms=params.integer("between", 100),
            duration_ms=params.integer("duration", 100),
            after_ms=params.integer("after", 0),
        )
    )
    return no_content()


# --- variables ------------------------------------------------------------------------------------


async def get_variable(call: AriCall) -> Response:
    """One channel variable or dialplan function; 404 when unset."""
    name = call.params.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    channel_id = call.path["channel_id"]
    _channel(call.context, channel_id)
    value = call.context.engine.get_variable(channel_id, name)
    if value is None:
        raise not_found("Provided variable was not found")
    return json_reply({"value": value})


async def set_variable(call: AriCall) -> Response:
    """Set a channel variable or dialplan function (ChannelVarset follows)."""
    name = call.params.get("variable")
    if not name:
        raise bad_request("Variable name is required")
    channel_id = call.path["channel_id"]
    _stasis_channel(call.context, channel_id)
    call.context.engine.set_variable(channel_id, name, call.params.text("value"))
    return no_content()


# --- media ----------------------------------------------------------------------------------------


async def play(call: AriCall) -> Response:
    """Play media to a channel in Stasis; 201 with the playback `queued`."""
    channel_id = call.path["channel_id"]
    _stasis_channel(call.context, channel_id)
    return start_playback(call, f"channel:{channel_id}")


async def record(call: AriCall) -> Response:
    """Record a channel in Stasis; 201 with the recording `queued`."""
    channel_id = call.path["channel_id"]
    _stasis_channel(call.context, channel_id)
    return start_recording(call, f"channel:{channel_id}")


async def snoop(call: AriCall) -> Response:
    """Create a `Snoop/<id>-n` channel that spies/whispers on this one and enters `app`."""
    channel_id = call.path["channel_id"]
    params = call.params
    spy = params.text("spy", "none") or "none"
    whisper = params.text("whisper", "none") or "none"
    if spy not in SNOOP_DIRECTIONS:
        raise bad_request("Invalid direction specified for spy")
    if whisper not in SNOOP_DIRECTIONS:
        raise bad_request("Invalid direction specified for whisper")
    if spy == "none" and whisper == "none":
        raise bad_request("Sppy or whisper direction must be specified")
    app = params.required("app")
    _channel(call.context, channel_id)
    snapshot = call.context.engine.snoop(
        channel_id,
        spy=spy,
        whisper=whisper,
        app=app,
        app_args=params.csv("appArgs"),
        snoop_id=call.path.get("snoop_id") or params.get("snoopId") or None,
    )
    return json_reply(channel_json(snapshot))


def routes() -> list[Route]:
    """The `/channels` routes, mounted under `/ari`."""
    base = "/channels/{channel_id}"
    stasis = _stasis_operation
    return [
        Route("/channels", ari_endpoint(list_channels), methods=["GET"]),
        Route("/channels", ari_endpoint(originate), methods=["POST"]),
        Route("/channels/create", ari_endpoint(create_channel), methods=["POST"]),
        Route(base, ari_endpoint(get_channel), methods=["GET"]),
        Route(base, ari_endpoint(originate), methods=["POST"]),
        Route(base, ari_endpoint(hangup), methods=["DELETE"]),
        Route(f"{base}/answer", ari_endpoint(answer), methods=["POST"]),
        Route(f"{base}/continue", ari_endpoint(continue_in_dialplan), methods=["POST"]),
        Route(f"{base}/move", ari_endpoint(move), methods=["POST"]),
        Route(f"{base}/redirect", ari_endpoint(redirect), methods=["POST"]),
        Route(f"{base}/dial", ari_endpoint(dial), methods=["POST"]),
        Route(f"{base}/ring", ari_endpoint(stasis("ring", "ring")), methods=["POST"]),
        Route(f"{base}/ring", ari_endpoint(stasis("ring_stop", "ring_stop")), methods=["DELETE"]),
        Route(f"{base}/hold", ari_endpoint(stasis("hold", "hold")), methods=["POST"]),
        Route(f"{base}/hold", ari_endpoint(stasis("unhold", "unhold")), methods=["DELETE"]),
        Route(f"{base}/moh", ari_endpoint(stasis("moh_start", "moh_start")), methods=["POST"]),
        Route(f"{base}/moh", ari_endpoint(stasis("moh_stop", "moh_stop")), methods=["DELETE"]),
        Route(f"{base}/silence", ari_endpoint(stasis("silence_start", "silence_start")), methods=["POST"]),
        Route(f"{base}/silence", ari_endpoint(stasis("silence_stop", "silence_stop")), methods=["DELETE"]),
        Route(f"{base}/mute", ari_endpoint(acknowledge_in_stasis), methods=["POST", "DELETE"]),
        Route(f"{base}/progress", ari_endpoint(acknowledge_in_stasis), methods=["POST"]),
        Route(f"{base}/dtmf", ari_endpoint(send_dtmf), methods=["POST"]),
        Route(f"{base}/variable", ari_endpoint(get_variable), methods=["GET"]),
        Route(f"{base}/variable", ari_endpoint(set_variable), methods=["POST"]),
        Route(f"{base}/play", ari_endpoint(play), methods=["POST"]),
        Route(f"{base}/play/{{playback_id}}", ari_endpoint(play), methods=["POST"]),
        Route(f"{base}/record", ari_endpoint(record), methods=["POST"]),
        Route(f"{base}/snoop", ari_endpoint(snoop), methods=["POST"]),
        Route(f"{base}/snoop/{{snoop_id}}", ari_endpoint(snoop), methods=["POST"]),
    ]
