"""BRIDGEPEER and connected-line noise of ARI (Stasis) mixing bridges, hidden helper parties included.

Asterisk re-evaluates a bridge's peers whenever its membership changes: with two parties each channel
gets `BRIDGEPEER=<other's name>` and the other's caller id as its connected line (published only when it
changes); with more parties, `BRIDGEPEER` lists the others. A channel leaving clears its BRIDGEPEER; one
left alone keeps the stale value. Bridge music on hold and bridge recordings add an `Announcer/ARI_MOH-…;2`
or `Recorder/ARI-…;2` party that never shows as a channel, only in those variables.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pbxsim.engine.model import PartyId

if TYPE_CHECKING:
    from pbxsim.engine.channel import Bridge, Channel
    from pbxsim.engine.engine import Engine


@dataclass(frozen=True, slots=True)
class HiddenParty:
    """A bridge member that is not a channel anyone sees (the MOH announcer, a bridge recorder)."""

    name: str
    caller: PartyId = field(default_factory=PartyId)


class BridgePeers:
    """Publishes the peer variables of Stasis mixing bridges as their membership changes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._hidden: dict[str, list[HiddenParty]] = {}
        self._announcers: dict[str, HiddenParty] = {}
        self._dissolving: weakref.WeakSet[Bridge] = weakref.WeakSet()

    @staticmethod
    def applies_to(bridge: Bridge) -> bool:
        """Only ARI mixing bridges; the dialplan's bridges (Dial, Queue) set their variables themselves."""
        return bridge.bridge_class == "stasis" and bridge.bridge_type == "mixing"

    def hidden_parties(self, bridge: Bridge) -> list[HiddenParty]:
        """The hidden parties currently in the bridge, in join order."""
        return list(self._hidden.get(bridge.id, ()))

    def joined(self, bridge: Bridge, ch: Channel) -> None:
        """A channel entered the bridge (after its ChannelEnteredBridge)."""
        if self.applies_to(bridge):
            self.announce(bridge)

    def leaving(self, bridge: Bridge, ch: Channel) -> None:
        """A channel is about to leave (before its ChannelLeftBridge): clear a BRIDGEPEER it still carries."""
        if self.applies_to(bridge) and ch.variables.get("BRIDGEPEER"):
            self._engine.set_channel_var(ch, "BRIDGEPEER", "")

    def left(self, bridge: Bridge) -> None:
        """A channel left: the remaining parties are re-evaluated unless the bridge is being destroyed."""
        if self.applies_to(bridge) and bridge not in self._dissolving:
            self.announce(bridge)

    def add_hidden(self, bridge: Bridge, prefix: str) -> HiddenParty:
        """Add an announcer/recorder party named `<prefix>-<unreal sequence>;2` and re-evaluate peers."""
        party = HiddenParty(f"{prefix}-{self._engine.next_unreal_sequence():08x};2")
        self._hidden.setdefault(bridge.id, []).append(party)
        if self.applies_to(bridge):
            self.announce(bridge)
        return party

    def remove_hidden(self, bridge: Bridge, party: HiddenParty) -> None:
        """Take a hidden party out again (MOH stopped, recording finished)."""
        parties = self._hidden.get(bridge.id, [])
        if party in parties:
            parties.remove(party)
            if self.applies_to(bridge) and bridge not in self._dissolving:
                self.announce(bridge)

    def start_announcer(self, bridge: Bridge) -> None:
        """Bridge music on hold: an `Announcer/ARI_MOH-…;2` party joins (once)."""
        if bridge.id not in self._announcers:
            self._announcers[bridge.id] = self.add_hidden(bridge, "Announcer/ARI_MOH")

    def stop_announcer(self, bridge: Bridge) -> None:
        """Bridge music on hold stopped: the announcer leaves."""
        party = self._announcers.pop(bridge.id, None)
        if party is not None:
            self.remove_hidden(bridge, party)

    def dissolve(self, bridge: Bridge) -> None:
        """The bridge is being destroyed: forget its hidden parties, publish no further peer changes."""
        self._dissolving.add(bridge)
        self._hidden.pop(bridge.id, None)
        self._announcers.pop(bridge.id, None)

    def announce(self, bridge: Bridge) -> None:
        """Publish BRIDGEPEER for every channel of a bridge with two or more parties (and connected lines)."""
        hidden = self._hidden.get(bridge.id, [])
        parties: list[tuple[str, PartyId, Channel | None]] = [(c.name, c.caller, c) for c in bridge.channels]
        parties += [(h.name, h.caller, None) for h in hidden]
        if len(parties) < 2:
            return
        for ch in list(bridge.channels):
            others = [name for name, _caller, owner in parties if owner is not ch]
            self._engine.set_channel_var(ch, "BRIDGEPEER", ",".join(others))
        if len(parties) != 2:
            return
        for ch in list(bridge.channels):
            other_caller = next(caller for _name, caller, owner in parties if owner is not ch)
            if ch.connected != other_caller:
                self._engine.set_connected(ch, other_caller)
                # chan_local hands a half's new connected line to the other half as its caller id.
                peer = ch.peer
                if peer is not None and not peer.ended and peer.caller != other_caller:
                    self._engine.set_caller(peer, other_caller)
