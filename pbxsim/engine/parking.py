"""res_parking: the `default` parking lot, its holding bridge and parked-call events (AMI Park, ParkedCalls).

The lot's holding bridge is created on first use and, as in Asterisk 22, outlives the calls parked in it
(wire INDEX 21: BridgeList still shows it). Settings follow the rig's res_parking.conf: spaces 701-720,
`findslot = next`, music class `default`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.errors import EngineError

if TYPE_CHECKING:
    from pbxsim.engine.channel import Bridge, Channel
    from pbxsim.engine.engine import Engine
    from pbxsim.engine.model import ChannelSnapshot

LOT_NAME = "default"
FIRST_SPACE, LAST_SPACE = 701, 720
DEFAULT_TIMEOUT = 120.0  # parkingtime
# How long the parker's side of the old bridge lingered before it was torn down (ami_hold_moh: 0.75 s).
_ABANDONED_BRIDGE_TEARDOWN = 0.75


class ParkingLotFull(EngineError):
    """Every space of the lot is taken."""

    def __init__(self, lot: str) -> None:
        super().__init__(f"parking lot {lot!r} has no free space ({FIRST_SPACE}-{LAST_SPACE})")


@dataclass(eq=False)
class ParkedCall:
    """A call waiting in a parking space."""

    channel: Channel
    space: int
    parker_dial_string: str
    timeout: float
    parked_at: float


@dataclass(frozen=True, slots=True)
class ParkedCallSnapshot:
    """What ParkedCalls lists for one parked call (times in simulated seconds)."""

    parkee: ChannelSnapshot
    parker_dial_string: str
    lot: str
    space: int
    remaining: int
    duration: int


class ParkingLot:
    """The single `default` lot of the reference rig."""

    def __init__(self, engine: Engine, name: str = LOT_NAME) -> None:
        self.engine = engine
        self.name = name
        self._bridge: Bridge | None = None
        self.next_space = FIRST_SPACE  # findslot = next: where the search for a free space starts
        self._parked: dict[str, ParkedCall] = {}
        self._gave_up: weakref.WeakSet[Channel] = weakref.WeakSet()

    def bridge(self) -> Bridge:
        """The lot's holding bridge, created (BridgeCreate) the first time a call is parked."""
        if self._bridge is None or self.engine.bridge(self._bridge.id) is None:
            self._bridge = self.engine.new_bridge(
                bridge_type="parking",
                technology="holding_bridge",
                bridge_class="parking",
                creator="Parking",
                name=self.name,
            )
        return self._bridge

    def is_parked(self, ch: Channel) -> bool:
        """Whether the channel waits in this lot."""
        return ch.id in self._parked

    def gave_up(self, ch: Channel) -> bool:
        """Whether the channel hung up while parked (app_queue then reports AgentComplete bare)."""
        return ch in self._gave_up

    def _free_space(self) -> int:
        taken: set[int] = {call.space for call in self._parked.values()}
        start: int = self.next_space if FIRST_SPACE <= self.next_space <= LAST_SPACE else FIRST_SPACE
        order: list[int] = [*range(start, LAST_SPACE + 1), *range(FIRST_SPACE, start)]
        free = [space for space in order if space not in taken]
        if not free:
            raise ParkingLotFull(self.name)
        return free[0]

    def park(self, channel_id: str, parker_dial_string: str, timeout: float = DEFAULT_TIMEOUT) -> int:
        """AMI Park: the channel leaves its bridge for the lot's holding bridge, with music on hold.

        Its former bridge partner is left alone and torn down shortly after (as on the rig)."""
        engine = self.engine
        ch = engine.live_channel(channel_id)
        space = self._free_space()
        self.next_space = space + 1
        old = ch.bridge
        partner = next((c for c in old.channels if c is not ch), None) if old is not None else None
        if partner is not None:
            engine.set_channel_var(ch, "BLINDTRANSFER", partner.name)
        call = ParkedCall(ch, space, parker_dial_string, timeout, engine.now())
        self._parked[ch.id] = call
        self._publish("ParkedCall", call)
        if partner is not None:
            engine.set_channel_var(ch, "BLINDTRANSFER", partner.name)
        engine.enter_bridge(self.bridge(), ch)
        if partner is not None:
            engine.set_channel_var(ch, "BLINDTRANSFER", "")
        if ch.variables.get("BRIDGEPEER"):
            engine.set_channel_var(ch, "BRIDGEPEER", "")
        engine.start_moh(ch, "default")
        ch.on_end.append(lambda: self.give_up(ch))
        if ch.owner_wakeup is not None and ch.app_name == "AppDial":
            ch.owner_wakeup.set()  # app_dial sees its callee gone: the caller leaves at once and carries on
        if old is not None and partner is not None:
            engine.spawn(self._tear_down(old, partner, ch))
        return space

    async def _tear_down(self, old: Bridge, partner: Channel, parkee: Channel) -> None:
        engine = self.engine
        await engine.sleep(_ABANDONED_BRIDGE_TEARDOWN)
        if partner.ended or partner.bridge is not old or len(old.channels) != 1:
            return
        engine.set_channel_var(partner, "BRIDGEPEER", "")
        engine.leave_bridge(partner)
        engine.end_bridge(old)
        partner.hangup_requested = True
        if partner.hangupcause == 0:
            partner.hangupcause = 16
        engine.queues.agent_released(parkee)
        engine.finish(partner)

    def redirected(self, ch: Channel) -> None:
        """A Redirect takes the parked channel out of the lot: MusicOnHoldStop, the new place's Newexten,
        ParkedCallGiveUp, then BridgeLeave (as on the rig)."""
        self.engine.stop_moh(ch)
        self.engine.announce_redirect(ch)
        self.give_up(ch)

    def give_up(self, ch: Channel) -> None:
        """The parked caller hangs up: MusicOnHoldStop, ParkedCallGiveUp, then it leaves the lot's bridge."""
        call = self._parked.pop(ch.id, None)
        if call is None:
            return
        self._gave_up.add(ch)
        self.engine.stop_moh(ch)
        self._publish("ParkedCallGiveUp", call)
        if self._bridge is not None and ch.bridge is self._bridge:
            self.engine.leave_bridge(ch)

    def calls(self) -> list[ParkedCallSnapshot]:
        """The parked calls, for AMI ParkedCalls."""
        return [self._snapshot(call) for call in self._parked.values()]

    def _snapshot(self, call: ParkedCall) -> ParkedCallSnapshot:
        elapsed = int((self.engine.now() - call.parked_at) * self.engine.speed)
        return ParkedCallSnapshot(
            parkee=call.channel.snapshot(),
            parker_dial_string=call.parker_dial_string,
            lot=self.name,
            space=call.space,
            remaining=max(0, int(call.timeout) - elapsed),
            duration=elapsed,
        )

    def _publish(self, kind: str, call: ParkedCall) -> None:
        snap = self._snapshot(call)
        self.engine.publish(
            m.ParkedCallChanged(
                timestamp=self.engine.now(),
                kind=kind,
                parkee=snap.parkee,
                parker_dial_string=snap.parker_dial_string,
                parking_lot=snap.lot,
                parking_space=str(snap.space),
                timeout=snap.remaining,
                duration=snap.duration,
            )
        )
