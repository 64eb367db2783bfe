"""AMI action handlers, each `async (server, session, action)`, answering with Asterisk 22's messages."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pbxsim.ami.protocol import Action, format_frame
from pbxsim.ami.render import bridge_block, channel_block, party
from pbxsim.engine import (
    ChannelNotFound,
    EngineError,
    InvalidEndpoint,
    PartyId,
    QueueMemberExists,
    UnknownConference,
    UnknownQueue,
    UnknownQueueMember,
    messages,
    parse_callerid,
    transfers,
)
from pbxsim.engine.apps import start_mixmonitor, stop_mixmonitor
from pbxsim.engine.model import ChannelSnapshot

if TYPE_CHECKING:
    from pbxsim.ami.server import AmiServer, Session

Fields = list[tuple[str, str]]
Handler = Callable[["AmiServer", "Session", Action], Awaitable[None]]
ACTIONS: dict[str, Handler] = {}

ASTERISK_VERSION = "22.10.1"


def action(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under the lower-cased action name."""

    def register(handler: Handler) -> Handler:
        ACTIONS[name.lower()] = handler
        return handler

    return register


def _ok(session: Session, act: Action, *fields: tuple[str, str]) -> None:
    session.respond(act, [("Response", "Success"), *fields])


def _error(session: Session, act: Action, message: str) -> None:
    session.respond(act, [("Response", "Error"), ("Message", message)])


def _list_item(session: Session, act: Action, name: str, fields: Fields, *, id_first: bool = False) -> None:
    """A list-action event: no Privilege, no Timestamp, ActionID last (or first for CoreShowChannel)."""
    action_id = [("ActionID", act.action_id)] if act.action_id is not None else []
    body = [*action_id, *fields] if id_first else [*fields, *action_id]
    session.send([("Event", name), *body])


def _list_complete(session: Session, act: Action, name: str, count: int, *extra: tuple[str, str]) -> None:
    action_id = [("ActionID", act.action_id)] if act.action_id is not None else []
    session.send([("Event", name), *action_id, ("EventList", "Complete"), ("ListItems", str(count)), *extra])


def _list_start(session: Session, act: Action, message: str) -> None:
    session.respond(act, [("Response", "Success"), ("EventList", "start"), ("Message", message)])


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "yes", "true", "on", "y")


# --- session ---------------------------------------------------------------------------------------


@action("Login")
async def login(server: AmiServer, session: Session, act: Action) -> None:
    """Login: FullyBooted (no Timestamp) and SuccessfulAuth follow the response; failures answer 1 s late."""
    from pbxsim.ami.server import _tv

    user = act.get("Username")
    if user != server.username or act.get("Secret") != server.secret:
        name = "InvalidPassword" if user == server.username else "InvalidAccountID"
        server.security_event(
            name,
            session,
            [
                ("AccountID", user),
                ("SessionID", session.session_id),
                ("LocalAddress", session.local),
                ("RemoteAddress", session.remote),
                ("SessionTV", "1970-01-01T00:00:00.000+0000"),
            ],
            version=2 if name == "InvalidPassword" else 1,
        )
        await asyncio.sleep(server.failed_login_delay)
        _error(session, act, "Authentication failed")
        await server.close_session(session)
        return
    session.authenticated = True
    session.username = user
    events = act.get("Events", "on").strip().lower()
    session.events_on = events not in ("off", "no", "0", "false")
    _ok(session, act, ("Message", "Authentication accepted"))
    uptime = str(int(time.time() - server.started_at))
    if session.events_on:
        session.send(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", uptime),
                ("LastReload", uptime),
                ("Status", "Fully Booted"),
            ]
        )
    now = time.time()
    auth = [
        ("Event", "SuccessfulAuth"),
        ("Privilege", "security,all"),
        ("Timestamp", f"{now:.6f}"),
        ("EventTV", _tv(now)),
        ("Severity", "Informational"),
        ("Service", "AMI"),
        ("EventVersion", "1"),
        ("AccountID", user),
        ("SessionID", session.session_id),
        ("LocalAddress", session.local),
        ("RemoteAddress", session.remote),
        ("UsingPassword", "0"),
        ("SessionTV", _tv(now)),
    ]
    data = format_frame(auth)
    for other in server.sessions:
        other.deliver_event(data)


@action("Logoff")
async def logoff(server: AmiServer, session: Session, act: Action) -> None:
    """Logoff: Goodbye, then the server closes the socket."""
    session.respond(act, [("Response", "Goodbye"), ("Message", "Thanks for all the fish.")])
    await server.close_session(session)


@action("Ping")
async def ping(server: AmiServer, session: Session, act: Action) -> None:
    """Ping: Pong with a Timestamp in the response."""
    _ok(session, act, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))


@action("Challenge")
async def challenge(server: AmiServer, session: Session, act: Action) -> None:
    """Challenge (MD5): works before login."""
    _ok(session, act, ("Challenge", str(server.engine.rng.randrange(100000000, 999999999))))


@action("Events")
async def events(server: AmiServer, session: Session, act: Action) -> None:
    """Events: on/off for this session."""
    mask = act.get("EventMask").strip().lower()
    session.events_on = mask not in ("off", "no", "0", "false", "")
    _ok(session, act, ("Events", "On" if session.events_on else "Off"))


# --- system ------------------------------------------------------------------------------------------


@action("CoreSettings")
async def core_settings(server: AmiServer, session: Session, act: Action) -> None:
    """CoreSettings: AsteriskVersion 22.10.1."""
    _ok(
        session,
        act,
        ("AMIversion", "11.0.0"),
        ("AsteriskVersion", ASTERISK_VERSION),
        ("SystemName", server.engine.config.system_name),
        ("CoreMaxCalls", "0"),
        ("CoreMaxLoadAvg", "0.000000"),
        ("CoreRunUser", "asterisk"),
        ("CoreRunGroup", "asterisk"),
        ("CoreMaxFilehandles", "0"),
        ("CoreRealTimeEnabled", "No"),
        ("CoreCDRenabled", "Yes"),
        ("CoreHTTPenabled", "Yes"),
        ("SoundsSearchCustomDir", "No"),
    )


@action("CoreStatus")
async def core_status(server: AmiServer, session: Session, act: Action) -> None:
    """CoreStatus: startup time and current calls."""
    started = server.started_at
    calls = len({c.linkedid for c in server.engine.channels()})
    _ok(
        session,
        act,
        ("CoreStartupDate", time.strftime("%Y-%m-%d", time.gmtime(started))),
        ("CoreStartupTime", time.strftime("%H:%M:%S", time.gmtime(started))),
        ("CoreReloadDate", time.strftime("%Y-%m-%d", time.gmtime(started))),
        ("CoreReloadTime", time.strftime("%H:%M:%S", time.gmtime(started))),
        ("CoreCurrentCalls", str(calls)),
    )


@action("Command")
async def command(server: AmiServer, session: Session, act: Action) -> None:
    """Command: a few CLI commands; unknown ones give Asterisk's error shape."""
    cli = act.get("Command").strip()
    if cli == "core show uptime":
        secs = int(time.time() - server.started_at)
        text = f"{secs // 60} minutes, {secs % 60} seconds"
        session.respond(
            act,
            [
                ("Response", "Success"),
                ("Message", "Command output follows"),
                ("Output", f"System uptime: {text}"),
                ("Output", f"Last reload: {text}"),
            ],
        )
        return
    if cli == "core show version":
        session.respond(
            act,
            [
                ("Response", "Success"),
                ("Message", "Command output follows"),
                ("Output", f"Asterisk {ASTERISK_VERSION} built by pbxsim"),
            ],
        )
        return
    words = cli.split()
    hint = " ".join(words[:2])
    session.respond(
        act,
        [
            ("Response", "Error"),
            ("Message", "Command output follows"),
            ("Output", f"No such command '{cli}' (type 'core show help {hint}' for other possible commands)"),
        ],
    )


# --- calls ---------------------------------------------------------------------------------------------


@action("Originate")
async def originate(server: AmiServer, session: Session, act: Action) -> None:
    """Originate (Async or not): OriginateResponse carries Reason 4/5/3/8/0."""
    endpoint = act.get("Channel")
    if not endpoint:
        _error(session, act, "Channel not specified")
        return
    application = act.get("Application")
    context, exten, priority_text = act.get("Context"), act.get("Exten"), act.get("Priority")
    if not application and (not exten or not context or not priority_text):
        _error(session, act, "Originate with 'Exten' requires 'Context' and 'Priority'")
        return
    try:
        server.engine.parse_local(endpoint)
    except InvalidEndpoint:
        _error(session, act, "Originate failed")
        return
    try:
        priority = int(priority_text or "1")
    except ValueError:
        _error(session, act, "Invalid priority")
        return
    timeout = float(act.get("Timeout") or "30000") / 1000.0
    caller = parse_callerid(act.get("CallerID")) if act.has("CallerID") else None
    variables: list[tuple[str, str]] = []
    for raw in act.get_all("Variable"):
        for item in raw.split(","):
            key, sep, value = item.partition("=")
            if sep:
                variables.append((key.strip(), value))
    is_async = _truthy(act.get("Async"))

    async def run() -> int:
        engine = server.engine
        outcome = await engine.originate(
            endpoint,
            context=context or None,
            exten=exten or None,
            priority=priority,
            application=application or None,
            data=act.get("Data"),
            timeout=timeout,
            caller_id=caller,
            variables=variables,
        )
        if is_async:
            num, name = party((caller or PartyId()).number), party((caller or PartyId()).name)
            target = (
                [("Application", application), ("Data", act.get("Data"))]
                if application
                else [("Context", context), ("Exten", exten)]
            )
            channel = outcome.channel
            fields: Fields = [
                ("ActionID", act.action_id or ""),
                ("Response", "Success" if outcome.answered else "Failure"),
                ("Channel", channel.name if channel else endpoint),
                *target,
                ("Reason", str(outcome.reason)),
                ("Uniqueid", channel.id if channel else "<unknown>"),
                ("CallerIDNum", num),
                ("CallerIDName", name),
            ]
            if act.action_id is None:
                fields = fields[1:]
            from pbxsim.ami.render import AmiEvent

            server.broadcast(AmiEvent("OriginateResponse", "call,all", time.time(), fields))
        return outcome.reason

    if is_async:
        _ok(session, act, ("Message", "Originate successfully queued"))
        server.detach(_discard(run()))
        return
    session.held += 1
    try:
        reason = await run()
    except EngineError as exc:
        session.release()
        _error(session, act, f"Originate failed: {exc}")
        return
    if reason == 4:
        _ok(session, act, ("Message", "Originate successfully queued"))
    else:
        _error(session, act, "Originate failed")
    session.release()


async def _discard(coro: Awaitable[int]) -> None:
    with contextlib.suppress(EngineError):
        await coro


@action("Hangup")
async def hangup(server: AmiServer, session: Session, act: Action) -> None:
    """Hangup of one channel, or of every channel matching `/regex/`."""
    target = act.get("Channel")
    cause_text = act.get("Cause").strip()
    cause = int(cause_text) if cause_text.isdigit() else None
    engine = server.engine
    if len(target) > 2 and target.startswith("/") and target.endswith("/"):
        matches = engine.find_channels(target[1:-1])
        _list_start(session, act, "Channels hung up will follow")
        for snapshot in matches:
            _list_item(session, act, "ChannelHungup", [("Channel", snapshot.name)])
        _list_complete(session, act, "ChannelsHungupListComplete", len(matches))
        for snapshot in matches:
            with contextlib.suppress(ChannelNotFound):
                engine.hangup(snapshot.id, cause)
        return
    if not target:
        _error(session, act, "No channel specified")
        return
    if engine.channel(target) is None:
        _error(session, act, "No such channel")
        return
    _ok(session, act, ("Message", "Channel Hungup"))
    engine.hangup(target, cause)


@action("Redirect")
async def redirect(server: AmiServer, session: Session, act: Action) -> None:
    """Redirect a channel to context/exten/priority."""
    target = act.get("Channel")
    if not target:
        _error(session, act, "Channel not specified")
        return
    engine = server.engine
    if engine.channel(target) is None:
        _error(session, act, f"Channel does not exist: {target}")
        return
    context, exten = act.get("Context"), act.get("Exten")
    try:
        priority = int(act.get("Priority") or "1")
    except ValueError:
        _error(session, act, "Invalid priority")
        return
    if not engine.dialplan.exists(context, exten, priority):
        _error(session, act, "Extension does not exist.")
        return
    extra = act.get("ExtraChannel")
    if not extra:
        engine.redirect(target, context, exten, priority)
        _ok(session, act, ("Message", "Redirect successful"))
        return
    if engine.channel(extra) is None:
        _error(session, act, f"ExtraChannel does not exist: {extra}")
        return
    extra_context = act.get("ExtraContext") or context
    extra_exten = act.get("ExtraExten") or exten
    try:
        extra_priority = int(act.get("ExtraPriority") or priority)
    except ValueError:
        _error(session, act, "Invalid ExtraPriority")
        return
    engine.redirect(target, context, exten, priority)
    engine.redirect(extra, extra_context, extra_exten, extra_priority)
    _ok(session, act, ("Message", "Dual Redirect successful"))


@action("MuteAudio")
async def mute_audio(server: AmiServer, session: Session, act: Action) -> None:
    """MuteAudio: Success without a Message and no event (checked on the rig)."""
    target = act.get("Channel")
    if not target:
        _error(session, act, "Channel not specified")
        return
    direction, state = (act.get("Direction") or "").lower(), (act.get("State") or "").lower()
    if direction not in ("in", "out", "all"):
        _error(session, act, "Invalid direction specified")
        return
    if state not in ("on", "off"):
        _error(session, act, "Invalid state specified")
        return
    try:
        server.engine.mute_audio(target, direction, state == "on")
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    _ok(session, act)


def _transfer_channel(
    server: AmiServer, session: Session, act: Action, *, needs_exten: bool
) -> ChannelSnapshot | None:
    """The transfer actions' shared checks, with Asterisk's messages; answers the error itself."""
    target = act.get("Channel")
    if not target:
        _error(session, act, "No channel specified")
        return None
    if needs_exten and not act.get("Exten"):
        _error(session, act, "No extension specified")
        return None
    ch = server.engine.channel(target)
    if ch is None:
        _error(session, act, "Channel specified does not exist")
    return ch


@action("BlindTransfer")
async def blind_transfer(server: AmiServer, session: Session, act: Action) -> None:
    """BlindTransfer of the channel's bridge partner to Context/Exten (the channel's context by default)."""
    ch = _transfer_channel(server, session, act, needs_exten=True)
    if ch is None:
        return
    engine, exten = server.engine, act.get("Exten") or ""
    try:
        transfers.bridged_party(engine, engine.live_channel(ch.id))
    except transfers.TransferRefused as refused:
        _error(session, act, refused.result)
        return
    _ok(session, act, ("Message", "Transfer succeeded"))
    transfers.blind_transfer(engine, ch.id, act.get("Context") or ch.dialplan.context, exten)


@action("Atxfer")
async def atxfer(server: AmiServer, session: Session, act: Action) -> None:
    """Atxfer: queued at once; the feature digits then reach the channel as received DTMF (INDEX 19)."""
    ch = _transfer_channel(server, session, act, needs_exten=True)
    if ch is None:
        return
    engine, exten = server.engine, act.get("Exten") or ""
    _ok(session, act, ("Message", "Atxfer successfully queued"))
    desk = transfers.attended_transfers(engine)
    engine.spawn(_discard_none(desk.atxfer(ch.id, act.get("Context"), exten)))


@action("CancelAtxfer")
async def cancel_atxfer(server: AmiServer, session: Session, act: Action) -> None:
    """CancelAtxfer: the abort digits (`*1`) are fed to the channel as received DTMF."""
    ch = _transfer_channel(server, session, act, needs_exten=False)
    if ch is None:
        return
    engine = server.engine
    _ok(session, act, ("Message", "CancelAtxfer successfully queued"))
    engine.spawn(_discard_none(transfers.attended_transfers(engine).cancel_atxfer(ch.id)))


async def _discard_none(coro: Awaitable[None]) -> None:
    with contextlib.suppress(EngineError):
        await coro


@action("Park")
async def park(server: AmiServer, session: Session, act: Action) -> None:
    """Park a channel in the lot; the reply has Asterisk's stray LF before its terminator (INDEX 5)."""
    target = act.get("Channel")
    if not target:
        _error(session, act, "Channel not specified")
        return
    engine = server.engine
    ch = engine.channel(target)
    if ch is None:
        _error(session, act, "Channel does not exist")
        return
    timeout_text = act.get("Timeout").strip()
    timeout = int(timeout_text) / 1000 if timeout_text.isdigit() else None
    parker = engine.channel(act.get("TimeoutChannel")) if act.get("TimeoutChannel") else None
    parker_dial_string = parker.name.rsplit("-", 1)[0] if parker is not None else ""
    try:
        if timeout is None:
            engine.parking.park(ch.id, parker_dial_string)
        else:
            engine.parking.park(ch.id, parker_dial_string, timeout)
    except EngineError:
        _error(session, act, "Park failed")
        return
    head = [("Response", "Success")]
    if act.action_id is not None:
        head.append(("ActionID", act.action_id))
    session.send([*head, ("Message", "Park successful")], bare_lf=True)


@action("ParkedCalls")
async def parked_calls(server: AmiServer, session: Session, act: Action) -> None:
    """ParkedCalls: one ParkedCall list event per parked call, then ParkedCallsComplete."""
    calls = server.engine.parking.calls()
    _list_start(session, act, "Parked calls will follow")
    for call in calls:
        _list_item(
            session,
            act,
            "ParkedCall",
            [
                *channel_block(call.parkee, "Parkee"),
                ("ParkerDialString", call.parker_dial_string),
                ("Parkinglot", call.lot),
                ("ParkingSpace", str(call.space)),
                ("ParkingTimeout", str(call.remaining)),
                ("ParkingDuration", str(call.duration)),
            ],
        )
    _list_complete(session, act, "ParkedCallsComplete", len(calls), ("Total", str(len(calls))))


@action("Getvar")
async def getvar(server: AmiServer, session: Session, act: Action) -> None:
    """Getvar of a channel variable, function or global; unset gives an empty Value."""
    name = act.get("Variable")
    if not name:
        _error(session, act, "No variable specified")
        return
    channel = act.get("Channel") or None
    try:
        value = server.engine.get_variable(channel, name)
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    _ok(session, act, ("Variable", name), ("Value", value or ""))


@action("Setvar")
async def setvar(server: AmiServer, session: Session, act: Action) -> None:
    """Setvar on a channel or as a global."""
    name = act.get("Variable")
    if not name:
        _error(session, act, "No variable specified")
        return
    channel = act.get("Channel") or None
    try:
        server.engine.set_variable(channel, name, act.get("Value"))
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    _ok(session, act, ("Message", "Variable Set"))


@action("UserEvent")
async def user_event(server: AmiServer, session: Session, act: Action) -> None:
    """UserEvent: the event keeps ActionID after UserEvent: and every custom header in order."""
    name = act.get("UserEvent")
    if not name:
        _error(session, act, "UserEvent name missing")
        return
    headers = [
        (key, value) for key, value in act.headers if key.lower() not in ("action", "actionid", "userevent")
    ]
    _ok(session, act, ("Message", "Event Sent"))
    if act.action_id is not None:
        headers.insert(0, ("ActionID", act.action_id))
    server.engine.publish(
        messages.UserEventRaised(timestamp=time.time(), name=name, channel=None, headers=tuple(headers))
    )


@action("CoreShowChannels")
async def core_show_channels(server: AmiServer, session: Session, act: Action) -> None:
    """CoreShowChannels: one CoreShowChannel per live channel."""
    channels = server.engine.channels()
    _list_start(session, act, "Channels will follow")
    now = time.time()
    for ch in channels:
        secs = int(now - ch.creation_time)
        duration = f"{secs // 3600:02d}:{secs % 3600 // 60:02d}:{secs % 60:02d}"
        _list_item(
            session,
            act,
            "CoreShowChannel",
            [
                *channel_block(ch),
                ("Application", ch.dialplan.app_name),
                ("ApplicationData", ch.dialplan.app_data),
                ("Duration", duration),
                ("BridgeId", ch.bridge_id or ""),
            ],
            id_first=True,
        )
    _list_complete(session, act, "CoreShowChannelsComplete", len(channels))


@action("Status")
async def status(server: AmiServer, session: Session, act: Action) -> None:
    """Status of all channels or one (with requested Variables)."""
    engine = server.engine
    target = act.get("Channel")
    if target:
        one = engine.channel(target)
        if one is None:
            _error(session, act, "No such channel")
            return
        channels = [one]
    else:
        channels = engine.channels()
    wanted = [v.strip() for v in act.get("Variables").split(",") if v.strip()]
    _list_start(session, act, "Channel status will follow")
    now = time.time()
    for ch in channels:
        fields: Fields = [
            ("Event", "Status"),
            ("Privilege", "Call"),
            *channel_block(ch),
            ("Type", ch.technology),
            ("DNID", ""),
            ("EffectiveConnectedLineNum", party(ch.connected.number)),
            ("EffectiveConnectedLineName", party(ch.connected.name)),
            ("TimeToHangup", "0"),
            ("BridgeID", ch.bridge_id or ""),
            ("Application", ch.dialplan.app_name),
            ("Data", ch.dialplan.app_data),
            ("Nativeformats", "(slin)"),
            ("Readformat", "slin"),
            ("Readtrans", ""),
            ("Writeformat", "slin"),
            ("Writetrans", ""),
            ("Callgroup", "0"),
            ("Pickupgroup", "0"),
            ("Seconds", str(int(now - ch.creation_time))),
        ]
        for name in wanted:
            try:
                value = engine.get_variable(ch.id, name) or ""
            except ChannelNotFound:
                value = ""
            fields.append(("Variable", f"{name}={value}"))
        if act.action_id is not None:
            fields.append(("ActionID", act.action_id))
        session.send(fields)
    _list_complete(session, act, "StatusComplete", len(channels), ("Items", str(len(channels))))


@action("CoreShowChannelMap")
async def core_show_channel_map(server: AmiServer, session: Session, act: Action) -> None:
    """CoreShowChannelMap: every channel reachable from one through bridges and Local pairs.

    As in Asterisk, the walk starts with the channel's bridge peers; the channel's own Local partner is
    not listed, but the partners (and their bridge peers) of every channel reached are."""
    target = act.get("Channel")
    if not target:
        _error(session, act, "Channel must be provided")
        return
    try:
        start = server.engine.live_channel(target)
    except ChannelNotFound:
        _error(session, act, f"Channel '{target}' not found")
        return
    found: list[str] = []
    seen = {start.id}
    frontier = [c for c in (start.bridge.channels if start.bridge else []) if c is not start]
    while frontier:
        ch = frontier.pop(0)
        if ch.id in seen:
            continue
        seen.add(ch.id)
        found.append(ch.name)
        if ch.peer is not None and ch.peer.id not in seen and not ch.peer.ended:
            frontier.append(ch.peer)
        if ch.bridge is not None:
            frontier.extend(c for c in ch.bridge.channels if c.id not in seen)
    _list_start(session, act, "Channel map will follow")
    for name in found:
        _list_item(
            session,
            act,
            "CoreShowChannelMap",
            [("Channel", start.name), ("ConnectedChannel", name)],
            id_first=True,
        )
    _list_complete(session, act, "CoreShowChannelMapComplete", len(found))


@action("BridgeList")
async def bridge_list(server: AmiServer, session: Session, act: Action) -> None:
    """BridgeList: every bridge."""
    bridges = server.engine.bridges()
    _list_start(session, act, "Bridge listing will follow")
    for bridge in bridges:
        _list_item(session, act, "BridgeListItem", bridge_block(bridge), id_first=True)
    _list_complete(session, act, "BridgeListComplete", len(bridges))


@action("PlayDTMF")
async def play_dtmf(server: AmiServer, session: Session, act: Action) -> None:
    """PlayDTMF: answers after the digit was played."""
    target = act.get("Channel")
    digit = act.get("Digit")
    if not digit:
        _error(session, act, "No digit specified")
        return
    engine = server.engine
    try:
        ch = engine.live_channel(target)
    except ChannelNotFound:
        _error(session, act, f"Channel '{target}' not found")
        return
    duration = int(act.get("Duration") or "250")
    receive = _truthy(act.get("Receive"))
    if receive:
        engine.receive_dtmf(ch, digit[0], duration)
    else:
        await engine.play_dtmf(ch, digit[0], duration_ms=duration)
    _ok(session, act, ("Message", "DTMF successfully queued"))


@action("MixMonitor")
async def mixmonitor(server: AmiServer, session: Session, act: Action) -> None:
    """MixMonitor: Success without a Message."""
    try:
        ch = server.engine.live_channel(act.get("Channel"))
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    start_mixmonitor(server.engine, ch, act.get("File") or f"{ch.id}.wav")
    _ok(session, act)


@action("StopMixMonitor")
async def stop_mix_monitor(server: AmiServer, session: Session, act: Action) -> None:
    """StopMixMonitor: Success without a Message (even when nothing was recording)."""
    try:
        ch = server.engine.live_channel(act.get("Channel"))
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    if not stop_mixmonitor(server.engine, ch):
        _error(session, act, "Could not stop monitoring channel")
        return
    _ok(session, act)


@action("MixMonitorMute")
async def mixmonitor_mute(server: AmiServer, session: Session, act: Action) -> None:
    """MixMonitorMute: MixMonitorMute event, Success without a Message."""
    try:
        ch = server.engine.live_channel(act.get("Channel"))
    except ChannelNotFound:
        _error(session, act, "No such channel")
        return
    server.engine.publish(
        messages.MixMonitorMuted(
            timestamp=time.time(),
            channel=ch.snapshot(),
            direction=act.get("Direction") or "both",
            state=_truthy(act.get("State")),
        )
    )
    _ok(session, act)


# --- queues -------------------------------------------------------------------------------------------


@action("QueueStatus")
async def queue_status(server: AmiServer, session: Session, act: Action) -> None:
    """QueueStatus: QueueParams, QueueMember and QueueEntry list events."""
    name = act.get("Queue") or None
    try:
        queues = server.engine.queues.status(name)
    except UnknownQueue:
        queues = []
    _list_start(session, act, "Queue status will follow")
    count = 0
    for q in queues:
        _list_item(
            session,
            act,
            "QueueParams",
            [
                ("Queue", q.name),
                ("Max", str(q.max_len)),
                ("Strategy", q.strategy),
                ("Calls", str(q.calls)),
                ("Holdtime", str(q.hold_time)),
                ("TalkTime", str(q.talk_time)),
                ("Completed", str(q.completed)),
                ("Abandoned", str(q.abandoned)),
                ("ServiceLevel", str(q.service_level)),
                ("ServicelevelPerf", f"{q.service_level_perf:.1f}"),
                ("ServicelevelPerf2", f"{q.service_level_perf2:.1f}"),
                ("Weight", str(q.weight)),
            ],
        )
        count += 1
        for mem in q.members:
            _list_item(
                session,
                act,
                "QueueMember",
                [
                    ("Queue", q.name),
                    ("Name", mem.member_name),
                    ("Location", mem.interface),
                    ("StateInterface", mem.state_interface),
                    ("Membership", mem.membership),
                    ("Penalty", str(mem.penalty)),
                    ("CallsTaken", str(mem.calls_taken)),
                    ("LastCall", str(mem.last_call)),
                    ("LastPause", str(mem.last_pause)),
                    ("LoginTime", str(mem.login_time)),
                    ("InCall", "1" if mem.in_call else "0"),
                    ("Status", str(mem.status)),
                    ("Paused", "1" if mem.paused else "0"),
                    ("PausedReason", mem.paused_reason),
                    ("Wrapuptime", str(mem.wrapup)),
                ],
            )
            count += 1
        for entry in q.entries:
            ch = entry.channel
            _list_item(
                session,
                act,
                "QueueEntry",
                [
                    ("Queue", q.name),
                    ("Position", str(entry.position)),
                    ("Channel", ch.name),
                    ("Uniqueid", ch.id),
                    ("CallerIDNum", ch.caller.number or "unknown"),
                    ("CallerIDName", ch.caller.name or "unknown"),
                    ("ConnectedLineNum", ch.connected.number or "unknown"),
                    ("ConnectedLineName", ch.connected.name or "unknown"),
                    ("Wait", str(entry.wait)),
                    ("Priority", "0"),
                ],
            )
            count += 1
    _list_complete(session, act, "QueueStatusComplete", count)


@action("QueueSummary")
async def queue_summary(server: AmiServer, session: Session, act: Action) -> None:
    """QueueSummary: one line per queue."""
    name = act.get("Queue") or None
    try:
        queues = server.engine.queues.status(name)
    except UnknownQueue:
        queues = []
    _list_start(session, act, "Queue summary will follow")
    for q in queues:
        logged_in = len(q.members)
        available = sum(1 for mem in q.members if not mem.paused and mem.status == 1)
        longest = max((e.wait for e in q.entries), default=0)
        _list_item(
            session,
            act,
            "QueueSummary",
            [
                ("Queue", q.name),
                ("LoggedIn", str(logged_in)),
                ("Available", str(available)),
                ("Callers", str(q.calls)),
                ("HoldTime", str(q.hold_time)),
                ("TalkTime", str(q.talk_time)),
                ("LongestHoldTime", str(longest)),
            ],
        )
    _list_complete(session, act, "QueueSummaryComplete", len(queues))


@action("QueueAdd")
async def queue_add(server: AmiServer, session: Session, act: Action) -> None:
    """QueueAdd a dynamic member."""
    try:
        server.engine.queues.add(
            act.get("Queue"),
            act.get("Interface"),
            member_name=act.get("MemberName"),
            state_interface=act.get("StateInterface"),
            penalty=int(act.get("Penalty") or "0"),
            paused=_truthy(act.get("Paused")),
            reason=act.get("Reason"),
        )
    except UnknownQueue:
        _error(session, act, "Unable to add interface to queue: No such queue")
        return
    except QueueMemberExists:
        _error(session, act, "Unable to add interface: Already there")
        return
    _ok(session, act, ("Message", "Added interface to queue"))


@action("QueueRemove")
async def queue_remove(server: AmiServer, session: Session, act: Action) -> None:
    """QueueRemove a member."""
    try:
        server.engine.queues.remove(act.get("Queue"), act.get("Interface"))
    except UnknownQueue:
        _error(session, act, "Unable to remove interface from queue: No such queue")
        return
    except UnknownQueueMember:
        _error(session, act, "Unable to remove interface: Not there")
        return
    _ok(session, act, ("Message", "Removed interface from queue"))


@action("QueuePause")
async def queue_pause(server: AmiServer, session: Session, act: Action) -> None:
    """QueuePause / unpause a member in one queue or all."""
    paused = _truthy(act.get("Paused"))
    try:
        server.engine.queues.pause(
            act.get("Interface"), paused, queue=act.get("Queue") or None, reason=act.get("Reason")
        )
    except (UnknownQueue, UnknownQueueMember):
        _error(session, act, "Interface not found")
        return
    _ok(
        session,
        act,
        ("Message", "Interface paused successfully" if paused else "Interface unpaused successfully"),
    )


@action("QueuePenalty")
async def queue_penalty(server: AmiServer, session: Session, act: Action) -> None:
    """QueuePenalty."""
    try:
        server.engine.queues.penalty(
            act.get("Interface"), int(act.get("Penalty") or "0"), queue=act.get("Queue") or None
        )
    except (UnknownQueue, UnknownQueueMember, ValueError):
        _error(session, act, "Invalid interface, queuename or penalty")
        return
    _ok(session, act, ("Message", "Interface penalty set successfully"))


# --- conferences ----------------------------------------------------------------------------------------


@action("ConfbridgeListRooms")
async def confbridge_list_rooms(server: AmiServer, session: Session, act: Action) -> None:
    """ConfbridgeListRooms."""
    rooms = server.engine.conferences.list_rooms()
    if not rooms:
        _error(session, act, "No active conferences.")
        return
    _list_start(session, act, "Confbridge conferences will follow")
    for room in rooms:
        _list_item(
            session,
            act,
            "ConfbridgeListRooms",
            [
                ("Conference", room.name),
                ("Parties", str(room.parties)),
                ("Marked", str(room.marked)),
                ("Locked", "Yes" if room.locked else "No"),
                ("Muted", "Yes" if room.muted else "No"),
            ],
            id_first=True,
        )
    _list_complete(session, act, "ConfbridgeListRoomsComplete", len(rooms))


@action("ConfbridgeList")
async def confbridge_list(server: AmiServer, session: Session, act: Action) -> None:
    """ConfbridgeList of one conference."""
    try:
        room = server.engine.conferences.snapshot(act.get("Conference"))
    except UnknownConference:
        _error(session, act, "No active conferences.")
        return
    _list_start(session, act, "Confbridge user list will follow")
    for user in room.users:
        _list_item(
            session,
            act,
            "ConfbridgeList",
            [
                ("Conference", room.name),
                ("Admin", "Yes" if user.admin else "No"),
                ("MarkedUser", "No"),
                ("WaitMarked", "No"),
                ("EndMarked", "No"),
                ("EndMarkedAny", "No"),
                ("Waiting", "No"),
                ("Muted", "Yes" if user.muted else "No"),
                ("Talking", "No"),
                ("AnsweredTime", str(user.answered_time)),
                *channel_block(user.channel),
            ],
            id_first=True,
        )
    _list_complete(session, act, "ConfbridgeListComplete", len(room.users))


async def _confbridge_user(server: AmiServer, session: Session, act: Action, operation: str) -> None:
    conferences = server.engine.conferences
    try:
        if operation == "mute":
            conferences.mute(act.get("Conference"), act.get("Channel"), True)
        elif operation == "unmute":
            conferences.mute(act.get("Conference"), act.get("Channel"), False)
        elif operation == "kick":
            conferences.kick(act.get("Conference"), act.get("Channel"))
        elif operation == "lock":
            conferences.lock(act.get("Conference"), True)
        else:
            conferences.lock(act.get("Conference"), False)
    except UnknownConference:
        _error(session, act, "No Conference by that name found.")
        return
    except ChannelNotFound:
        _error(session, act, "No Channel by that name found in Conference.")
        return
    messages_ok = {
        "mute": "User muted",
        "unmute": "User unmuted",
        "kick": "User kicked",
        "lock": "Conference locked",
        "unlock": "Conference unlocked",
    }
    if operation == "kick" and act.get("Channel") == "all":
        _ok(session, act, ("Message", "All participants kicked"))
        return
    _ok(session, act, ("Message", messages_ok[operation]))


for _name in ("Mute", "Unmute", "Kick", "Lock", "Unlock"):

    def _make(op: str) -> Handler:
        async def handler(server: AmiServer, session: Session, act: Action) -> None:
            await _confbridge_user(server, session, act, op)

        handler.__doc__ = f"Confbridge{op.capitalize()}."
        return handler

    ACTIONS[f"confbridge{_name.lower()}"] = _make(_name.lower())
