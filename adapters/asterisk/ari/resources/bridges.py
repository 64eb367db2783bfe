"""`/bridges`: the mixing bridges that join callers, agents and supervisors under ARI control."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from adapters.asterisk.ari.inputs import join_args
from adapters.asterisk.ari.models import Bridge, LiveRecording, Playback
from adapters.asterisk.ari.resources import _audio
from adapters.asterisk.ari.resources._audio import BRIDGE
from adapters.asterisk.ari.resources._decode import as_model, as_models
from adapters.asterisk.ari.rest import AriRest


def _bridge(bridge_id: str) -> str:
    return BRIDGE.path(bridge_id)


class Bridges:
    """Bridge operations; every method raises the `AriError` subclass matching ARI's refusal."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    async def list(self) -> builtins.list[Bridge]:
        """Every bridge in Asterisk: the resync source for bridge membership."""
        return as_models(Bridge, await self._rest.call("GET", "/bridges"), "GET /bridges")

    async def get(self, bridge_id: str) -> Bridge:
        """One bridge and its channels; `AriNotFound` once destroyed."""
        return as_model(Bridge, await self._rest.call("GET", _bridge(bridge_id)), "GET /bridges/{id}")

    async def create(
        self, *, type: str | None = None, bridge_id: str | None = None, name: str | None = None
    ) -> Bridge:
        """Create a bridge; `type` is a comma list such as `mixing` or `mixing,dtmf_events`."""
        params = {"type": type, "bridgeId": bridge_id, "name": name}
        return as_model(Bridge, await self._rest.call("POST", "/bridges", params=params), "POST /bridges")

    async def destroy(self, bridge_id: str) -> None:
        """Destroy the bridge; channels in it stay up and leave it."""
        await self._rest.call("DELETE", _bridge(bridge_id))

    async def add_channel(
        self,
        bridge_id: str,
        channel: str | Sequence[str],
        *,
        role: str | None = None,
        absorb_dtmf: bool | None = None,
        mute: bool | None = None,
        inhibit_connected_line_updates: bool | None = None,
    ) -> None:
        """Put one or more Stasis channels into the bridge (an unknown channel gives 400, not 404)."""
        params = {
            "channel": join_args(channel, "channel"),
            "role": role,
            "absorbDTMF": absorb_dtmf,
            "mute": mute,
            "inhibitConnectedLineUpdates": inhibit_connected_line_updates,
        }
        await self._rest.call("POST", f"{_bridge(bridge_id)}/addChannel", params=params)

    async def remove_channel(self, bridge_id: str, channel: str | Sequence[str]) -> None:
        """Take one or more channels out of the bridge."""
        params = {"channel": join_args(channel, "channel")}
        await self._rest.call("POST", f"{_bridge(bridge_id)}/removeChannel", params=params)

    async def start_moh(self, bridge_id: str, *, moh_class: str | None = None) -> None:
        """Play music on hold to everyone in the bridge (through an Announcer channel)."""
        await self._rest.call("POST", f"{_bridge(bridge_id)}/moh", params={"mohClass": moh_class})

    async def stop_moh(self, bridge_id: str) -> None:
        """Stop the bridge's music on hold."""
        await self._rest.call("DELETE", f"{_bridge(bridge_id)}/moh")

    async def play(
        self,
        bridge_id: str,
        media: str | Sequence[str],
        *,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        playback_id: str | None = None,
    ) -> Playback:
        """Play `media` to everyone in the bridge."""
        return await _audio.play(
            self._rest,
            BRIDGE,
            bridge_id,
            media,
            lang=lang,
            offsetms=offsetms,
            skipms=skipms,
            playback_id=playback_id,
        )

    async def record(
        self,
        bridge_id: str,
        name: str,
        format: str,
        *,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        """Record the bridge's mixed audio into stored recording `name`."""
        return await _audio.record(
            self._rest,
            BRIDGE,
            bridge_id,
            name,
            format,
            max_duration_seconds=max_duration_seconds,
            max_silence_seconds=max_silence_seconds,
            if_exists=if_exists,
            beep=beep,
            terminate_on=terminate_on,
        )
