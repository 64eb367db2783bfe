"""Dialplan applications of the simulated PBX, each `async (engine, channel, data) -> jumped`.

An application returns True when it moved the dialplan pointer itself (Goto, Gosub, Return,
WaitExten), False to continue at the next priority, and raises `Hangup` to end the dialplan.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.dialplan import split_args
from pbxsim.engine.engine import Hangup
from pbxsim.engine.model import ChannelState, PartyId
from pbxsim.engine.sounds import sound_duration

if TYPE_CHECKING:
    from pbxsim.engine.channel import Channel
    from pbxsim.engine.engine import Engine

Application = Callable[["Engine", "Channel", str], Awaitable[bool]]


def _float(text: str, default: float) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


async def app_noop(engine: Engine, ch: Channel, data: str) -> bool:
    """NoOp(): does nothing."""
    return False


async def app_ringing(engine: Engine, ch: Channel, data: str) -> bool:
    """Ringing(): indicate ringing towards the caller."""
    engine.indicate_ringing(ch)
    return False


async def app_progress(engine: Engine, ch: Channel, data: str) -> bool:
    """Progress(): early media; nothing visible on AMI for Local channels."""
    return False


async def app_wait(engine: Engine, ch: Channel, data: str) -> bool:
    """Wait(seconds)."""
    await engine.sleep(_float(data, 0.0))
    return False


async def app_wait_until(engine: Engine, ch: Channel, data: str) -> bool:
    """WaitUntil(epoch): sleeps until the epoch, sets WAITUNTILSTATUS."""
    target = _float(data, 0.0)
    await engine.sleep(max(0.0, target - engine.now()))
    engine.set_channel_var(ch, "WAITUNTILSTATUS", "OK")
    return False


async def app_answer(engine: Engine, ch: Channel, data: str) -> bool:
    """Answer()."""
    engine.answer_channel(ch)
    return False


async def app_hangup(engine: Engine, ch: Channel, data: str) -> bool:
    """Hangup([cause])."""
    cause = int(_float(data, 16)) if data.strip() else 16
    if ch.hangupcause == 0 or data.strip():
        ch.hangupcause = cause
    engine.soft_hangup(ch)
    raise Hangup()


async def _busy_or_congestion(engine: Engine, ch: Channel, data: str, congestion: bool) -> bool:
    engine.indicate_busy(ch, congestion)
    await engine.sleep(_float(data, 10.0) if data.strip() else 10.0)
    engine.soft_hangup(ch)
    raise Hangup()


async def app_busy(engine: Engine, ch: Channel, data: str) -> bool:
    """Busy([timeout]): cause 17."""
    return await _busy_or_congestion(engine, ch, data, congestion=False)


async def app_congestion(engine: Engine, ch: Channel, data: str) -> bool:
    """Congestion([timeout]): cause 34."""
    return await _busy_or_congestion(engine, ch, data, congestion=True)


async def app_playback(engine: Engine, ch: Channel, data: str) -> bool:
    """Playback(file[,options]): sleeps for the sound's length; PLAYBACKSTATUS says whether it existed."""
    args = split_args(data)
    status = "SUCCESS"
    for name in args[0].split("&"):
        duration = sound_duration(name)
        if duration is None:
            status = "FAILED"
            continue
        await engine.sleep(duration)
    engine.set_channel_var(ch, "PLAYBACKSTATUS", status)
    return False


async def _play_interruptible(engine: Engine, ch: Channel, sound: str) -> str | None:
    """Play a prompt until its end or until a digit arrives; returns the digit."""
    duration = sound_duration(sound) or 0.0
    try:
        return await asyncio.wait_for(ch.dtmf_buffer.get(), duration / engine.speed)
    except TimeoutError:
        return None


async def app_read(engine: Engine, ch: Channel, data: str) -> bool:
    """Read(var,prompt,maxdigits,options,attempts,timeout): collect digits, `#` ends; sets READSTATUS."""
    args = [*split_args(data), "", "", "", "", "", ""]
    var, prompt, max_digits = args[0], args[1], int(_float(args[2], 0) or 255)
    timeout = _float(args[5], 5.0) if args[5] else 5.0
    digits = ""
    engine.set_channel_var(ch, "READSTATUS", "ERROR")  # app_read presets the failure status (ami_dtmf_ivr)
    first = await _play_interruptible(engine, ch, prompt) if prompt else None
    status = "OK"
    pending = [first] if first else []
    while len(digits) < max_digits:
        if pending:
            digit = pending.pop(0)
        else:
            try:
                digit = await asyncio.wait_for(ch.dtmf_buffer.get(), timeout / engine.speed)
            except TimeoutError:
                status = "TIMEOUT" if not digits else "OK"
                break
        if digit == "#":
            break
        digits += digit
    engine.set_channel_var(ch, var, digits)
    engine.set_channel_var(ch, "READSTATUS", status)
    return False


async def app_background(engine: Engine, ch: Channel, data: str) -> bool:
    """Background(prompt): play, and jump at once if a digit matches an extension."""
    args = split_args(data)
    digit = await _play_interruptible(engine, ch, args[0])
    if digit is not None:
        ch.dtmf_buffer.put_nowait(digit)
    return False


async def app_wait_exten(engine: Engine, ch: Channel, data: str) -> bool:
    """WaitExten(seconds): the next digit picks an extension of this context (`i` if none, `t` on timeout)."""
    timeout = _float(split_args(data)[0], 5.0) if data.strip() else 5.0
    try:
        digit = await asyncio.wait_for(ch.dtmf_buffer.get(), timeout / engine.speed)
    except TimeoutError:
        engine.goto(ch, None, "t", 1)
        return True
    target = digit if engine.dialplan.find(ch.context, digit) is not None else "i"
    if target == "i":
        engine.set_channel_var(ch, "INVALID_EXTEN", digit)
    engine.goto(ch, None, target, 1)
    return True


async def app_user_event(engine: Engine, ch: Channel, data: str) -> bool:
    """UserEvent(name,Header: value,...)."""
    args = split_args(data)
    headers = []
    for item in args[1:]:
        key, sep, value = item.partition(":")
        if sep:
            headers.append((key.strip(), value.strip()))
    engine.publish(
        m.UserEventRaised(timestamp=engine.now(), name=args[0], channel=ch.snapshot(), headers=tuple(headers))
    )
    return False


async def app_set(engine: Engine, ch: Channel, data: str) -> bool:
    """Set(name=value)."""
    name, _, value = data.partition("=")
    engine.assign(ch, name.strip(), value)
    return False


def _parse_target(ch: Channel, data: str) -> tuple[str, str, int]:
    parts = split_args(data)
    if len(parts) == 1:
        return ch.context, ch.exten, int(_float(parts[0], 1))
    if len(parts) == 2:
        return ch.context, parts[0], int(_float(parts[1], 1))
    return parts[0], parts[1], int(_float(parts[2], 1))


async def app_goto(engine: Engine, ch: Channel, data: str) -> bool:
    """Goto([[context,]exten,]priority)."""
    context, exten, priority = _parse_target(ch, data)
    engine.goto(ch, context, exten, priority)
    return True


async def app_gosub(engine: Engine, ch: Channel, data: str) -> bool:
    """Gosub([[context,]exten,]priority): remembers where to Return."""
    target, _, _args = data.partition("(")
    context, exten, priority = _parse_target(ch, target)
    ch.gosub_stack.append((ch.context, ch.exten, ch.priority + 1))
    engine.goto(ch, context, exten, priority)
    engine.set_channel_var(ch, "LOCAL(ARGC)", "0")
    return True


async def app_return(engine: Engine, ch: Channel, data: str) -> bool:
    """Return(): back after the Gosub."""
    engine.set_channel_var(ch, "ARGC", "")
    engine.set_channel_var(ch, "GOSUB_RETVAL", data)
    if not ch.gosub_stack:
        raise Hangup()
    context, exten, priority = ch.gosub_stack.pop()
    engine.goto(ch, context, exten, priority)
    return True


async def app_verbose(engine: Engine, ch: Channel, data: str) -> bool:
    """Verbose(): logs nothing in the simulator."""
    return False


async def app_music_on_hold(engine: Engine, ch: Channel, data: str) -> bool:
    """MusicOnHold(class[,duration])."""
    args = [*split_args(data), ""]
    engine.start_moh(ch, args[0] or "default")
    try:
        duration = _float(args[1], 0.0)
        if duration > 0:
            await engine.sleep(duration)
        else:
            await asyncio.Event().wait()
    finally:
        engine.stop_moh(ch)
    return False


async def app_forever(engine: Engine, ch: Channel, data: str) -> bool:
    """Milliwatt()/Echo(): run until hung up."""
    await asyncio.Event().wait()
    return False


async def app_play_tones(engine: Engine, ch: Channel, data: str) -> bool:
    """PlayTones()/StopPlayTones(): audio only, nothing visible."""
    return False


async def app_send_dtmf(engine: Engine, ch: Channel, data: str) -> bool:
    """SendDTMF(digits[,between_ms[,duration_ms]])."""
    args = [*split_args(data), "", ""]
    between = int(_float(args[1], 100)) if args[1] else 100
    duration = int(_float(args[2], 100)) if args[2] else 100
    await engine.play_dtmf(ch, args[0], between_ms=between, duration_ms=duration)
    return False


async def app_mixmonitor(engine: Engine, ch: Channel, data: str) -> bool:
    """MixMonitor(file[,options]): sets MIXMONITOR_FILENAME, MixMonitorStart."""
    start_mixmonitor(engine, ch, split_args(data)[0])
    return False


def start_mixmonitor(engine: Engine, ch: Channel, filename: str) -> None:
    """Begin (simulated) recording of a channel; a file under the recording dir becomes an ARI stored one."""
    path = filename if filename.startswith("/") else f"{engine.config.monitor_dir}/{filename}"
    ch.mixmonitor_file = path
    ch.mixmonitor_started_at = engine.now()
    engine.media.mixmonitor_file_written(path, 0.0)

    def close_at_hangup() -> None:
        _close_mixmonitor_file(engine, ch)

    ch.on_end.append(close_at_hangup)
    engine.set_channel_var(ch, "MIXMONITOR_FILENAME", path)
    engine.publish(m.MixMonitorStarted(timestamp=engine.now(), channel=ch.snapshot()))


def _close_mixmonitor_file(engine: Engine, ch: Channel) -> bool:
    """Finish the file with its length (muted stretches are silence, so they count); False if none."""
    path = ch.mixmonitor_file
    if path is None:
        return False
    ch.mixmonitor_file = None
    seconds = max(0.0, (engine.now() - ch.mixmonitor_started_at) * engine.speed)
    engine.media.mixmonitor_file_written(path, seconds)
    return True


def stop_mixmonitor(engine: Engine, ch: Channel) -> bool:
    """End recording (the file stays); False if none was running. A hangup closes the file silently."""
    if not _close_mixmonitor_file(engine, ch):
        return False
    engine.publish(m.MixMonitorStopped(timestamp=engine.now(), channel=ch.snapshot()))
    return True


async def app_stop_mixmonitor(engine: Engine, ch: Channel, data: str) -> bool:
    """StopMixMonitor()."""
    stop_mixmonitor(engine, ch)
    return False


async def app_chanspy(engine: Engine, ch: Channel, data: str) -> bool:
    """ChanSpy([prefix][,options]): spy on the first other Up channel until hung up (simplified)."""
    spyee = next(
        (
            c
            for c in engine._channels.values()
            if c is not ch and c is not ch.peer and c.state == ChannelState.UP and not c.ended
        ),
        None,
    )
    if spyee is None:
        await engine.sleep(30)
        return False
    engine.publish(m.ChanSpyStarted(timestamp=engine.now(), spyer=ch.snapshot(), spyee=spyee.snapshot()))
    _bridge_reconfigured(engine, spyee)
    try:
        while not spyee.ended:
            await asyncio.sleep(0.05)
    finally:
        _bridge_reconfigured(engine, spyee)
        engine.publish(m.ChanSpyStopped(timestamp=engine.now(), spyer=ch.snapshot(), spyee=spyee.snapshot()))
        _bridge_reconfigured(engine, spyee)
    return False


def _bridge_reconfigured(engine: Engine, member: Channel) -> None:
    """An audiohook attached to or detached from a bridged channel makes its basic bridge re-evaluate its
    members, which republishes every member's BRIDGEPEER (ami_chanspy: once on start, twice on stop)."""
    bridge = member.bridge
    if member.ended or bridge is None or bridge.bridge_class != "basic":
        return
    for ch in list(bridge.channels):
        others = [c.name for c in bridge.channels if c is not ch]
        if others:
            engine.set_channel_var(ch, "BRIDGEPEER", ",".join(others))


async def run_stasis(engine: Engine, ch: Channel, app: str, args: tuple[str, ...]) -> bool:
    """Hand the channel to a Stasis app until it continues, moves or hangs it up."""
    engine.set_channel_var(ch, "STASISSTATUS", "")  # app_stasis initialises it before anything else
    if not engine.is_registered(app):
        engine.set_channel_var(ch, "STASISSTATUS", "FAILED")
        return False
    ch.stasis_app = app
    ch.stasis_released.clear()
    engine.publish(m.StasisStarted(timestamp=engine.now(), app=app, args=args, channel=ch.snapshot()))
    await ch.stasis_released.wait()
    current = ch.stasis_app or app
    ch.stasis_app = None
    engine.publish(m.StasisEnded(timestamp=engine.now(), app=current, channel=ch.snapshot()))
    engine.set_channel_var(ch, "STASISSTATUS", "SUCCESS")
    if ch.redirect_to is not None:
        ch.context, ch.exten, ch.priority = ch.redirect_to
        ch.redirect_to = None
        return True
    return False


async def app_stasis(engine: Engine, ch: Channel, data: str) -> bool:
    """Stasis(app[,args...])."""
    args = split_args(data)
    return await run_stasis(engine, ch, args[0], tuple(a for a in args[1:]))


async def bridge_call(
    engine: Engine,
    caller: Channel,
    peer: Channel,
    on_peer_left: Callable[[], None] | None = None,
    on_caller_left: Callable[[], None] | None = None,
) -> None:
    """Bridge a caller with the peer it dialed until the peer leaves; cancellation = the caller leaves.

    `on_caller_left` runs between the caller's and the peer's BridgeLeave (app_dial's end-of-call variables).
    """
    bridge = engine.new_bridge()
    engine.enter_bridge(bridge, peer)
    engine.enter_bridge(bridge, caller)
    if caller.variables.get("BLINDTRANSFER"):  # ast_bridge_call clears what an earlier transfer left
        engine.set_channel_var(caller, "BLINDTRANSFER", "")
    engine.set_channel_var(peer, "BRIDGEPEER", caller.name)
    engine.set_channel_var(caller, "BRIDGEPEER", peer.name)
    wake = asyncio.Event()
    peer.owner_wakeup = wake
    caller.cdr_segments.append(
        {
            "start": str(caller.creation_time),
            "dest": peer.name,
            "app": caller.app_name,
            "data": caller.app_data,
        }
    )
    segment = caller.cdr_segments[-1]
    if caller.answer_time:
        segment["answer"] = str(caller.answer_time)
    try:
        while True:
            while peer.bridge is bridge and not peer.ended and not wake.is_set():
                await wake.wait()
            if bridge.handover is None:
                break
            peer, bridge.handover = bridge.handover, None  # the caller now talks to a transfer target
            wake.clear()
            peer.owner_wakeup = wake
    except asyncio.CancelledError:
        peer.owner_wakeup = None
        segment["end"] = str(engine.now())
        if not peer.ended:
            taken = _taken_from_dial(engine, peer)  # redirected too (a dual Redirect): it lives on
            engine.set_channel_var(caller, "BRIDGEPEER", "")
            if caller.redirect_to is not None and not caller.hangup_requested:
                engine.announce_redirect(caller)
            if not taken and peer.variables.get("BRIDGEPEER") != "":  # a blind transfer cleared it already
                engine.set_channel_var(peer, "BRIDGEPEER", "")
            engine.leave_bridge(caller)
            if on_caller_left is not None:
                on_caller_left()
            engine.end_bridge(bridge)
            if not taken:
                peer.hangup_requested = True
                engine.finish(peer)
        else:
            if engine.parking.is_parked(caller):  # parked meanwhile; its peer's side was torn down
                engine.parking.give_up(caller)
                if on_caller_left is not None:
                    on_caller_left()
            engine.end_bridge(bridge)
        raise
    peer.owner_wakeup = None
    segment["end"] = str(engine.now())
    engine.set_channel_var(peer, "BRIDGEPEER", "")
    engine.set_channel_var(caller, "BRIDGEPEER", "")
    if peer.bridge is bridge:
        engine.leave_bridge(peer)
    if on_peer_left is not None:
        on_peer_left()
    if caller.bridge is bridge:
        engine.leave_bridge(caller)
    engine.end_bridge(bridge)


_DIAL_VARIABLES = (
    "DIALSTATUS",
    "DIALEDPEERNUMBER",
    "DIALEDPEERNAME",
    "ANSWEREDTIME",
    "ANSWEREDTIME_MS",
    "DIALEDTIME",
    "DIALEDTIME_MS",
    "RINGTIME",
    "RINGTIME_MS",
    "PROGRESSTIME",
    "PROGRESSTIME_MS",
)


def _dial_pair(engine: Engine, ch: Channel, endpoint: str) -> tuple[Channel, Channel]:
    """The callee Local pair of Dial(), with app_dial's variable and caller-id noise in Asterisk's order."""
    exten, context, _options = engine.parse_local(endpoint)
    number = endpoint.removeprefix("Local/")
    one, two = engine.create_local_pair(exten, context, linkedid=ch.linkedid)
    inherited = [
        (key if key.startswith("__") else key[1:], value)
        for key, value in ch.variables.items()
        if key.startswith("_")
    ]
    for half in (one, two):
        engine.set_channel_var(half, "DIALEDPEERNUMBER", number)
        for key, value in inherited:
            engine.set_channel_var(half, key, value)
        if half is one:
            one.app_name, one.app_data = "AppDial", "(Outgoing Line)"
            engine.newexten(one)
            engine.set_caller(one, PartyId(ch.exten, ""))
            one.connected = ch.caller
    if ch.caller.number or ch.caller.name:
        engine.set_caller(two, ch.caller)
    engine.set_connected(two, PartyId(ch.exten, ""))
    engine.pair_locals(one, two)
    return one, two


def _taken_from_dial(engine: Engine, callee: Channel) -> bool:
    """A Redirect (or BlindTransfer) or a Park took the answered callee out of Dial's bridge: it now runs
    its own dialplan or waits in the lot, and Asterisk leaves it and its Local `;2` alive."""
    running = callee.runner is not None and not callee.runner.done()
    return running or engine.parking.is_parked(callee)


async def app_dial(engine: Engine, ch: Channel, data: str) -> bool:
    """Dial(Local/x@ctx[&...],timeout,options): rings one Local destination; sets DIALSTATUS and the times."""
    args = [*split_args(data), "", ""]
    endpoint = args[0].split("&")[0]
    number = endpoint.removeprefix("Local/")
    timeout = _float(args[1], 0.0)
    started = engine.now()
    for name in _DIAL_VARIABLES:
        engine.set_channel_var(ch, name, "")
    one, _two = _dial_pair(engine, ch, endpoint)
    one.is_dial_peer = True

    def seconds_since(moment: float) -> float:
        return (engine.now() - moment) * engine.speed

    def ringing() -> None:
        ring = seconds_since(started)
        engine.set_channel_var(ch, "RINGTIME", str(int(ring)))
        engine.set_channel_var(ch, "RINGTIME_MS", str(int(ring * 1000)))

    dial = engine.begin_dial(ch, one, number)
    dial.on_ringing = ringing
    status = await engine.await_dial(dial, timeout)
    if status == "ANSWER":
        answered = engine.now()
        engine.set_channel_var(ch, "DIALSTATUS", "ANSWER")
        engine.set_channel_var(ch, "DIALEDPEERNAME", one.name)
        engine.set_channel_var(ch, "DIALEDPEERNUMBER", number)
        engine.dial_end(ch, one, "ANSWER")
        if ch.state != ChannelState.UP:  # Dial answers its caller; a Local `;2` passes it on to its `;1`
            engine.answer_channel(ch)
        one.exten = ""
        engine.newexten(one)

        def call_ended() -> None:
            talk, dialed = seconds_since(answered), seconds_since(started)
            engine.set_channel_var(ch, "ANSWEREDTIME", str(int(talk)))
            engine.set_channel_var(ch, "ANSWEREDTIME_MS", str(int(talk * 1000)))
            engine.set_channel_var(ch, "DIALEDTIME", str(int(dialed)))
            engine.set_channel_var(ch, "DIALEDTIME_MS", str(int(dialed * 1000)))
            engine.set_channel_var(ch, "DIALSTATUS", "ANSWER")

        await bridge_call(engine, ch, one, on_caller_left=call_ended)
        call_ended()
        if not one.ended and not _taken_from_dial(engine, one):
            one.hangup_requested = True
            engine.finish(one)
        if "g" not in args[2]:
            engine.soft_hangup(ch)
            raise Hangup()
        return False
    mapped = {"TIMEOUT": "NOANSWER", "NOANSWER": "NOANSWER"}.get(status, status)
    engine.dial_end(ch, one, mapped)
    one.hangup_requested = True
    engine.finish(one)
    engine.set_channel_var(ch, "DIALSTATUS", mapped)
    return False


async def app_queue(engine: Engine, ch: Channel, data: str) -> bool:
    """Queue(name,options,,,timeout): see queues.py."""
    return await engine.queues.run_queue_app(ch, data)


async def app_confbridge(engine: Engine, ch: Channel, data: str) -> bool:
    """ConfBridge(room[,bridge_profile[,user_profile]])."""
    args = [*split_args(data), "", ""]
    await engine.conferences.join(ch, args[0], admin=args[2] == "admin_user")
    return False


APPLICATIONS: dict[str, Application] = {
    "noop": app_noop,
    "ringing": app_ringing,
    "progress": app_progress,
    "wait": app_wait,
    "waituntil": app_wait_until,
    "answer": app_answer,
    "hangup": app_hangup,
    "busy": app_busy,
    "congestion": app_congestion,
    "playback": app_playback,
    "read": app_read,
    "background": app_background,
    "waitexten": app_wait_exten,
    "userevent": app_user_event,
    "set": app_set,
    "goto": app_goto,
    "gosub": app_gosub,
    "return": app_return,
    "verbose": app_verbose,
    "musiconhold": app_music_on_hold,
    "milliwatt": app_forever,
    "echo": app_forever,
    "playtones": app_play_tones,
    "stopplaytones": app_play_tones,
    "senddtmf": app_send_dtmf,
    "mixmonitor": app_mixmonitor,
    "stopmixmonitor": app_stop_mixmonitor,
    "chanspy": app_chanspy,
    "stasis": app_stasis,
    "dial": app_dial,
    "queue": app_queue,
    "confbridge": app_confbridge,
}

_ = contextlib
