"""Bridge transfers started from AMI: BlindTransfer, and Atxfer/CancelAtxfer carried out as DTMF features.

Asterisk's AMI `Atxfer` does not move channels itself: it feeds the bridge's feature digits (`*2` then the
extension, features.conf) into the transferer as received DTMF, and the bridge feature does the rest
(wire INDEX 19). BlindTransfer uses the bridge API directly and answers once the transferee was sent off
(INDEX 18).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.channel import DialAttempt
from pbxsim.engine.errors import EngineError
from pbxsim.engine.model import ChannelState, PartyId

if TYPE_CHECKING:
    from pbxsim.engine.channel import Bridge, Channel
    from pbxsim.engine.engine import Engine


class TransferRefused(EngineError):
    """Asterisk's transfer result other than success; `result` is the AMI wording ("Transfer invalid")."""

    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result


def bridged_party(engine: Engine, transferer: Channel) -> Channel:
    """The one other channel in the transferer's two-party bridge (the transferee)."""
    bridge = transferer.bridge
    if bridge is None:
        raise TransferRefused("Transfer invalid", f"{transferer.name} is not in a bridge")
    others = [c for c in bridge.channels if c is not transferer and not c.ended]
    if len(others) != 1:
        raise TransferRefused("Transfer not permitted", f"{transferer.name} is not in a two-party call")
    return others[0]


def blind_transfer(engine: Engine, channel_id: str, context: str, exten: str) -> None:
    """AMI BlindTransfer: the transferer's bridge partner goes to context/exten, the transferer hangs up.

    Published as on the rig: Unhold on the transferer, BLINDTRANSFER on both, the transferer's BRIDGEPEER
    cleared, BlindTransfer (IsExternal Yes) and, for a queue call, AgentComplete `transfer` at once."""
    transferer = engine.live_channel(channel_id)
    transferee = bridged_party(engine, transferer)
    bridge = transferer.bridge
    assert bridge is not None
    engine.publish(m.ChannelUnheld(timestamp=engine.now(), channel=transferer.snapshot()))
    engine.set_channel_var(transferee, "BLINDTRANSFER", transferer.name)
    engine.set_channel_var(transferer, "BLINDTRANSFER", transferee.name)
    engine.set_channel_var(transferer, "BRIDGEPEER", "")
    engine.publish(
        m.BlindTransferred(
            timestamp=engine.now(),
            result="Success",
            transferer=transferer.snapshot(),
            transferee=transferee.snapshot(),
            bridge=bridge.snapshot(),
            is_external=True,
            context=context,
            extension=exten,
        )
    )
    engine.queues.caller_transferred(transferee)
    engine.redirect(transferee.id, context, exten, 1)


# --- attended transfer (features.conf of the reference rig) -----------------------------------------

ATXFER_FEATURE = "*2"
ATXFER_ABORT = "*1"
ATXFER_NO_ANSWER_TIMEOUT = 15.0
# Gaps the rig showed between the injected digits (INDEX 19): the second feature digit ~155 ms after
# the first, the feature ~100 ms later, then one extension digit every ~60 ms.
_SECOND_FEATURE_DIGIT = 0.156
_FEATURE_MATCHED = 0.1
_EXTENSION_DIGIT = 0.06
# How long after an aborted consultation the transferer's connected line is put back (ami_atxfer_abort).
_CONNECTED_LINE_RESTORED = 0.5


@dataclass(eq=False)
class Consultation:
    """One attended transfer in progress: the transferer talks to `target` in `bridge` while the
    transferee waits on hold in `original`."""

    transferer: Channel
    transferee: Channel
    original: Bridge
    owner_wakeup: asyncio.Event | None
    bridge: Bridge | None = None
    target: Channel | None = None
    dial: DialAttempt | None = None
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    transferer_left: asyncio.Event = field(default_factory=asyncio.Event)


class AttendedTransfers:
    """The attended-transfer bridge feature of one engine, driven by AMI Atxfer/CancelAtxfer digits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._active: dict[str, Consultation] = {}
        # chan_local hands a `;1`'s new connected line to its `;2` as caller id; on the rig the `;2`
        # only published it after its own Hangup (ami_atxfer_*).
        self._pending_caller: dict[str, PartyId] = {}

    def consultation(self, transferer_id: str) -> Consultation | None:
        """The transfer the channel is carrying out, if any."""
        return self._active.get(transferer_id)

    async def atxfer(self, channel_id: str, context: str, exten: str) -> None:
        """AMI Atxfer: TRANSFER_CONTEXT, then `*2` and the extension fed to the channel as received DTMF."""
        engine = self.engine
        transferer = engine.live_channel(channel_id)
        if context:
            engine.set_channel_var(transferer, "TRANSFER_CONTEXT", context)
        self._digit(transferer, ATXFER_FEATURE[0])
        await engine.sleep(_SECOND_FEATURE_DIGIT)
        if transferer.ended:
            return
        self._digit(transferer, ATXFER_FEATURE[1])
        await engine.sleep(_FEATURE_MATCHED)
        if transferer.ended:
            return
        try:
            transferee = bridged_party(engine, transferer)
        except TransferRefused:
            transferee = None
        if transferee is None or transferer.id in self._active or transferer.bridge is None:
            for digit in exten:  # no bridge feature to catch them: the digits just arrive
                await engine.sleep(_EXTENSION_DIGIT)
                self._digit(transferer, digit)
            return
        consultation = Consultation(transferer, transferee, transferer.bridge, transferer.owner_wakeup)
        self._active[transferer.id] = consultation
        transferer.owner_wakeup = consultation.transferer_left  # its hangup now ends the consultation
        try:
            engine.publish(m.ChannelHeld(timestamp=engine.now(), channel=transferer.snapshot()))
            engine.start_moh(transferee, "default")
            for digit in exten:
                await engine.sleep(_EXTENSION_DIGIT)
                if transferer.ended:
                    break
                self._digit(transferer, digit)
            await self._consult(consultation, context or transferer.context, exten)
        finally:
            self._active.pop(transferer.id, None)

    async def cancel_atxfer(self, channel_id: str) -> None:
        """AMI CancelAtxfer: the abort digits `*1` on the transferer; they end its consultation, if any."""
        engine = self.engine
        transferer = engine.live_channel(channel_id)
        self._digit(transferer, ATXFER_ABORT[0])
        await engine.sleep(_SECOND_FEATURE_DIGIT)
        if transferer.ended:
            return
        self._digit(transferer, ATXFER_ABORT[1])
        await engine.sleep(_FEATURE_MATCHED)
        consultation = self._active.get(transferer.id)
        if consultation is not None:
            consultation.cancelled.set()

    def _digit(self, ch: Channel, digit: str) -> None:
        self.engine.publish(
            m.DtmfEnded(
                timestamp=self.engine.now(),
                channel=ch.snapshot(),
                digit=digit,
                duration_ms=0,
                direction="Received",
            )
        )

    def _connected_line(self, ch: Channel, party: PartyId) -> None:
        """NewConnectedLine on `ch`; its Local `;2` learns the party as caller id only when it hangs up."""
        engine = self.engine
        engine.set_connected(ch, party)
        other = ch.peer if ch.half == 1 else None
        if other is None or other.ended:
            return
        if other.id not in self._pending_caller:

            def after_hangup() -> None:  # on_end runs just before the Hangup; publish right after it
                asyncio.get_running_loop().call_soon(self._publish_caller, other)

            other.on_end.append(after_hangup)
        self._pending_caller[other.id] = party

    def _publish_caller(self, ch: Channel) -> None:
        party = self._pending_caller.pop(ch.id, None)
        if party is not None and party != ch.caller:
            ch.caller = party
            self.engine.publish(m.ChannelCallerIdChanged(timestamp=self.engine.now(), channel=ch.snapshot()))

    async def _consult(self, c: Consultation, context: str, exten: str) -> None:
        """Dial the target into a new bridge, move the transferer there, and wait for the outcome."""
        engine = self.engine
        transferer = c.transferer
        one, two = engine.create_local_pair(exten, context, linkedid=transferer.linkedid)
        inherited = [(k, v) for k, v in transferer.variables.items() if k.startswith("__")]
        for name, value in (("TRANSFERERNAME", transferer.name), ("ATTENDEDTRANSFER", transferer.name)):
            engine.set_channel_var(one, name, value)
        for name, value in inherited:
            engine.set_channel_var(one, name, value)
        c.bridge = engine.new_bridge()
        for name, value in (("ATTENDEDTRANSFER", transferer.name), ("TRANSFERERNAME", transferer.name)):
            engine.set_channel_var(two, name, value)
        for name, value in inherited:
            engine.set_channel_var(two, name, value)
        engine.set_caller(two, transferer.caller)
        engine.pair_locals(one, two)
        c.target = one
        dial = DialAttempt(None, one, f"{exten}@{context}", asyncio.get_running_loop().create_future())
        dial.rang = True  # the feature reports RINGING itself, once the target is in the consult bridge
        one.dial_attempt = c.dial = dial
        engine.start_pbx(two)
        await asyncio.sleep(0)  # the target starts ringing while it is being bridged (two of three runs)
        self._connected_line(one, transferer.caller)
        engine.enter_bridge(c.bridge, one)
        engine.set_channel_var(one, "ATTENDEDTRANSFER", "")
        if one.state == ChannelState.RINGING:
            engine.publish(
                m.DialStateChanged(
                    timestamp=engine.now(), caller=None, peer=one.snapshot(), dialstatus="RINGING"
                )
            )
        engine.enter_bridge(c.bridge, transferer)
        engine.set_channel_var(one, "BRIDGEPEER", transferer.name)
        engine.set_channel_var(transferer, "BRIDGEPEER", one.name)
        self._connected_line(transferer, one.caller)
        outcome = await self._wait(c, dial, ATXFER_NO_ANSWER_TIMEOUT)
        if outcome == "ANSWER":
            one.dial_attempt = None
            engine.publish(
                m.DialEnded(timestamp=engine.now(), caller=None, peer=one.snapshot(), dialstatus="ANSWER")
            )
            engine.set_channel_var(one, "BRIDGEPEER", transferer.name)
            engine.set_channel_var(transferer, "BRIDGEPEER", one.name)
            outcome = await self._wait(c, None, None)
        one.dial_attempt = None
        if outcome == "TRANSFERER_LEFT" and not c.transferee.ended and c.transferee.bridge is c.original:
            self._complete(c)
        else:
            self._abort(c)

    async def _wait(self, c: Consultation, dial: DialAttempt | None, timeout: float | None) -> str:
        """ANSWER, TRANSFERER_LEFT, CANCELLED, TARGET_LEFT or TIMEOUT, whichever happens first."""
        engine = self.engine
        assert c.target is not None
        waits: dict[asyncio.Future[object], str] = {
            asyncio.ensure_future(c.cancelled.wait()): "CANCELLED",
            asyncio.ensure_future(c.transferer_left.wait()): "TRANSFERER_LEFT",
            asyncio.ensure_future(c.target.interrupted.wait()): "TARGET_LEFT",
        }
        if dial is not None:
            waits[asyncio.ensure_future(asyncio.shield(dial.outcome))] = "DIAL"
        if timeout is not None:
            waits[asyncio.ensure_future(engine.sleep(timeout))] = "TIMEOUT"
        try:
            done, _pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waits:
                future.cancel()
        kinds = {waits[f] for f in done}
        for kind in ("TRANSFERER_LEFT", "CANCELLED", "TARGET_LEFT"):
            if kind in kinds:
                return kind
        if "DIAL" in kinds:
            return "ANSWER" if dial is not None and dial.outcome.result() == "ANSWER" else "TARGET_LEFT"
        return "TIMEOUT"

    def _complete(self, c: Consultation) -> None:
        """The transferer hung up while consulting: the target takes its place beside the transferee."""
        engine = self.engine
        transferer, transferee, target = c.transferer, c.transferee, c.target
        assert target is not None and c.bridge is not None
        engine.set_channel_var(transferer, "BRIDGEPEER", "")
        engine.leave_bridge(transferer)
        engine.stop_moh(transferee)
        engine.publish(
            m.BridgesMerged(timestamp=engine.now(), target=c.original.snapshot(), source=c.bridge.snapshot())
        )
        engine.enter_bridge(c.original, target)
        engine.set_channel_var(transferee, "BRIDGEPEER", target.name)
        engine.set_channel_var(target, "BRIDGEPEER", transferee.name)
        engine.publish(
            m.AttendedTransferred(
                timestamp=engine.now(),
                result="Success",
                original_transferer=transferer.snapshot(),
                original_bridge=c.original.snapshot(),
                secondary_transferer=transferer.snapshot(),
                secondary_bridge=c.bridge.snapshot(),
                transferee=transferee.snapshot(),
                transfer_target=None,
                dest_type="Bridge",
                dest_bridge_id=c.original.id,
                is_external=False,
            )
        )
        c.original.handover = target
        engine.queues.caller_transferred(transferee)
        if transferer.hangupcause == 0:
            transferer.hangupcause = 16
        engine.finish(transferer)
        self._connected_line(target, transferee.caller)
        engine.end_bridge(c.bridge)
        if c.owner_wakeup is not None:
            c.owner_wakeup.set()  # the transferee's bridge owner now follows the target

    def _abort(self, c: Consultation) -> None:
        """Cancelled, unanswered or refused: the transferer returns to the transferee; the target ends."""
        engine = self.engine
        transferer, transferee, target = c.transferer, c.transferee, c.target
        assert target is not None and c.bridge is not None
        transferer.owner_wakeup = c.owner_wakeup
        if not transferer.ended and not transferee.ended and transferee.bridge is c.original:
            engine.enter_bridge(c.original, transferer)
            engine.stop_moh(transferee)
            engine.set_channel_var(transferee, "BRIDGEPEER", transferer.name)
            engine.set_channel_var(transferer, "BRIDGEPEER", transferee.name)
            self._connected_line(transferee, transferer.caller)
            engine.publish(m.ChannelUnheld(timestamp=engine.now(), channel=transferer.snapshot()))
            engine.spawn(self._restore_connected_line(transferer, transferee))
        if not target.ended:
            engine.set_channel_var(target, "BRIDGEPEER", "")
            engine.leave_bridge(target)
        engine.end_bridge(c.bridge)
        if not target.ended:
            target.hangup_requested = True
            if target.hangupcause == 0:
                target.hangupcause = 16
            engine.finish(target)

    async def _restore_connected_line(self, transferer: Channel, transferee: Channel) -> None:
        await self.engine.sleep(_CONNECTED_LINE_RESTORED)
        if not transferer.ended and transferer.bridge is not None and transferer.bridge is transferee.bridge:
            self._connected_line(transferer, transferee.caller)


_DESKS: weakref.WeakKeyDictionary[Engine, AttendedTransfers] = weakref.WeakKeyDictionary()


def attended_transfers(engine: Engine) -> AttendedTransfers:
    """The engine's attended-transfer feature (created on first use)."""
    desk = _DESKS.get(engine)
    if desk is None:
        desk = _DESKS[engine] = AttendedTransfers(engine)
    return desk
