"""`/channels`: originate, answer, hang up, hold, play, record, snoop and steer calls under ARI control."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence

from adapters.asterisk.ari.errors import AriInvalidInput
from adapters.asterisk.ari.inputs import check_text, join_args, variables_body
from adapters.asterisk.ari.models import Channel, LiveRecording, Playback, Variable
from adapters.asterisk.ari.resources import _audio
from adapters.asterisk.ari.resources._audio import CHANNEL
from adapters.asterisk.ari.resources._decode import as_model, as_models
from adapters.asterisk.ari.rest import AriRest


def _channel(channel_id: str) -> str:
    return CHANNEL.path(channel_id)


class Channels:
    """Channel operations; every method raises the `AriError` subclass matching ARI's refusal."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    async def list(self) -> builtins.list[Channel]:
        """Every live channel in Asterisk (not only those in our Stasis app): the resync source."""
        return as_models(Channel, await self._rest.call("GET", "/channels"), "GET /channels")

    async def get(self, channel_id: str) -> Channel:
        """One channel as Asterisk sees it now; `AriNotFound` once it is gone."""
        return as_model(Channel, await self._rest.call("GET", _channel(channel_id)), "GET /channels/{id}")

    async def originate(
        self,
        endpoint: str,
        *,
        app: str | None = None,
        app_args: str | Sequence[str] | None = None,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
        caller_id: str | None = None,
        timeout: int | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Place a call to `endpoint`; on answer it enters Stasis `app` or runs `context,extension,priority`.

        Asterisk 22.10.1 answers 409 when `channel_id`/`other_channel_id` is a prefix of a live channel's id
        (wire INDEX item 24), so pick ids that cannot prefix each other (`peer-<id>` rather than `<id>-peer`).
        """
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": join_args(app_args),
            "context": context,
            "extension": extension,
            "priority": priority,
            "label": label,
            "callerId": caller_id,
            "timeout": timeout,
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        body = variables_body(variables) if variables is not None else None
        data = await self._rest.call("POST", "/channels", params=params, body=body)
        return as_model(Channel, data, "POST /channels")

    async def create(
        self,
        endpoint: str,
        app: str,
        *,
        app_args: str | Sequence[str] | None = None,
        channel_id: str | None = None,
        other_channel_id: str | None = None,
        originator: str | None = None,
        formats: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> Channel:
        """Create a channel in Stasis `app` without dialing it yet (dial it later with `POST .../dial`)."""
        params = {
            "endpoint": endpoint,
            "app": app,
            "appArgs": join_args(app_args),
            "channelId": channel_id,
            "otherChannelId": other_channel_id,
            "originator": originator,
            "formats": formats,
        }
        body = variables_body(variables) if variables is not None else None
        data = await self._rest.call("POST", "/channels/create", params=params, body=body)
        return as_model(Channel, data, "POST /channels/create")

    async def hangup(
        self, channel_id: str, *, reason: str | None = None, reason_code: str | None = None
    ) -> None:
        """Hang up a channel; `reason` is an ARI name (normal, busy, congestion, no_answer …)."""
        await self._rest.call(
            "DELETE", _channel(channel_id), params={"reason": reason, "reason_code": reason_code}
        )

    async def answer(self, channel_id: str) -> None:
        """Answer a ringing channel that is in Stasis (409 otherwise)."""
        await self._rest.call("POST", f"{_channel(channel_id)}/answer")

    async def ring(self, channel_id: str) -> None:
        """Indicate ringing to the caller."""
        await self._rest.call("POST", f"{_channel(channel_id)}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        """Stop the ringing indication."""
        await self._rest.call("DELETE", f"{_channel(channel_id)}/ring")

    async def hold(self, channel_id: str) -> None:
        """Put the channel on hold (on Local channels Asterisk just plays MOH, wire INDEX item 20)."""
        await self._rest.call("POST", f"{_channel(channel_id)}/hold")

    async def unhold(self, channel_id: str) -> None:
        """Take the channel off hold."""
        await self._rest.call("DELETE", f"{_channel(channel_id)}/hold")

    async def start_moh(self, channel_id: str, *, moh_class: str | None = None) -> None:
        """Play music on hold to the channel."""
        await self._rest.call("POST", f"{_channel(channel_id)}/moh", params={"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        """Stop music on hold."""
        await self._rest.call("DELETE", f"{_channel(channel_id)}/moh")

    async def start_silence(self, channel_id: str) -> None:
        """Play silence to the channel (keeps some endpoints from timing out)."""
        await self._rest.call("POST", f"{_channel(channel_id)}/silence")

    async def stop_silence(self, channel_id: str) -> None:
        """Stop playing silence."""
        await self._rest.call("DELETE", f"{_channel(channel_id)}/silence")

    async def mute(self, channel_id: str, *, direction: str | None = None) -> None:
        """Mute the channel's audio (`in`, `out` or `both`)."""
        await self._rest.call("POST", f"{_channel(channel_id)}/mute", params={"direction": direction})

    async def unmute(self, channel_id: str, *, direction: str | None = None) -> None:
        """Unmute the channel's audio."""
        await self._rest.call("DELETE", f"{_channel(channel_id)}/mute", params={"direction": direction})

    async def play(
        self,
        channel_id: str,
        media: str | Sequence[str],
        *,
        lang: str | None = None,
        offsetms: int | None = None,
        skipms: int | None = None,
        playback_id: str | None = None,
    ) -> Playback:
        """Start playing `media` (`sound:beep`, or several URIs in turn); Playback events follow."""
        return await _audio.play(
            self._rest,
            CHANNEL,
            channel_id,
            media,
            lang=lang,
            offsetms=offsetms,
            skipms=skipms,
            playback_id=playback_id,
        )

    async def record(
        self,
        channel_id: str,
        name: str,
        format: str,
        *,
        max_duration_seconds: int | None = None,
        max_silence_seconds: int | None = None,
        if_exists: str | None = None,
        beep: bool | None = None,
        terminate_on: str | None = None,
    ) -> LiveRecording:
        """Start recording the channel into stored recording `name` (`format` e.g. `wav`)."""
        return await _audio.record(
            self._rest,
            CHANNEL,
            channel_id,
            name,
            format,
            max_duration_seconds=max_duration_seconds,
            max_silence_seconds=max_silence_seconds,
            if_exists=if_exists,
            beep=beep,
            terminate_on=terminate_on,
        )

    async def snoop(
        self,
        channel_id: str,
        app: str,
        *,
        spy: str | None = None,
        whisper: str | None = None,
        app_args: str | Sequence[str] | None = None,
        snoop_id: str | None = None,
    ) -> Channel:
        """Create a snoop channel on `channel_id` for a supervisor (`spy` listens, `whisper` coaches)."""
        params = {
            "spy": spy,
            "whisper": whisper,
            "app": app,
            "appArgs": join_args(app_args),
            "snoopId": snoop_id,
        }
        data = await self._rest.call("POST", f"{_channel(channel_id)}/snoop", params=params)
        return as_model(Channel, data, "POST /channels/{id}/snoop")

    async def send_dtmf(
        self,
        channel_id: str,
        dtmf: str,
        *,
        before: int | None = None,
        between: int | None = None,
        duration: int | None = None,
        after: int | None = None,
    ) -> None:
        """Send DTMF digits (`0-9*#A-D`, `,` for a pause) to the channel."""
        if not dtmf:
            raise AriInvalidInput("dtmf must hold at least one digit")
        params = {"dtmf": dtmf, "before": before, "between": between, "duration": duration, "after": after}
        await self._rest.call("POST", f"{_channel(channel_id)}/dtmf", params=params)

    async def get_variable(self, channel_id: str, variable: str) -> str:
        """A channel variable or dialplan function (`CALLERID(num)`); `AriNotFound` when it is not set."""
        if not check_text(variable, "variable name"):
            raise AriInvalidInput("variable name must not be empty")
        data = await self._rest.call("GET", f"{_channel(channel_id)}/variable", params={"variable": variable})
        return as_model(Variable, data, "GET /channels/{id}/variable").value

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        """Set a channel variable (prefix `__` to inherit it through Dial/Queue)."""
        if not check_text(variable, "variable name"):
            raise AriInvalidInput("variable name must not be empty")
        params = {"variable": variable, "value": value}
        await self._rest.call("POST", f"{_channel(channel_id)}/variable", params=params)

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        """Transfer the channel to `endpoint` (same technology only; a no-op on Local channels)."""
        if not endpoint:
            raise AriInvalidInput("redirect needs an endpoint such as PJSIP/1001")
        await self._rest.call("POST", f"{_channel(channel_id)}/redirect", params={"endpoint": endpoint})

    async def continue_in_dialplan(
        self,
        channel_id: str,
        *,
        context: str | None = None,
        extension: str | None = None,
        priority: int | None = None,
        label: str | None = None,
    ) -> None:
        """Leave Stasis and go on in the dialplan (the next priority when nothing is given)."""
        params = {"context": context, "extension": extension, "priority": priority, "label": label}
        await self._rest.call("POST", f"{_channel(channel_id)}/continue", params=params)

    async def move(self, channel_id: str, app: str, *, app_args: str | Sequence[str] | None = None) -> None:
        """Hand the channel to another Stasis app (an unregistered one gives ApplicationMoveFailed)."""
        params = {"app": app, "appArgs": join_args(app_args)}
        await self._rest.call("POST", f"{_channel(channel_id)}/move", params=params)
