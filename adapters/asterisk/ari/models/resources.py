"""Typed ARI resources (Swagger models of Asterisk 22), tolerant of fields later versions add.

Field names are the wire names so that a test can check them against `ari-api-docs/*.json`. Only the
identity of each resource is required; everything else has a default, because our simulator and other
Asterisk versions may leave fields out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AriModel(BaseModel):
    """Base of every ARI model: immutable, and keeps unknown fields in `model_extra` instead of failing."""

    model_config = ConfigDict(extra="allow", frozen=True)


class CallerID(AriModel):
    """A party's caller id as ARI reports it (caller or connected line)."""

    name: str = ""
    number: str = ""


class DialplanCEP(AriModel):
    """Where a channel is in the dialplan: context, extension, priority and the running application."""

    context: str = ""
    exten: str = ""
    priority: int = 0
    app_name: str = ""
    app_data: str = ""


class Channel(AriModel):
    """A live channel; `id` is its uniqueid (or the id the gateway chose when originating)."""

    id: str
    name: str = ""
    state: str = ""
    protocol_id: str = ""
    caller: CallerID = CallerID()
    connected: CallerID = CallerID()
    accountcode: str = ""
    dialplan: DialplanCEP = DialplanCEP()
    creationtime: datetime | None = None
    language: str = ""
    channelvars: dict[str, Any] | None = None
    caller_rdnis: str | None = None
    tenantid: str | None = None


class Bridge(AriModel):
    """A bridge and the ids of the channels in it."""

    id: str
    technology: str = ""
    bridge_type: str = ""
    bridge_class: str = ""
    creator: str = ""
    name: str = ""
    channels: tuple[str, ...] = ()
    video_mode: str | None = None
    video_source_id: str | None = None
    creationtime: datetime | None = None
    bridgevars: dict[str, Any] | None = None


class Playback(AriModel):
    """A media playback on a channel or bridge (`target_uri` is `channel:<id>` or `bridge:<id>`)."""

    id: str
    media_uri: str = ""
    next_media_uri: str | None = None
    target_uri: str = ""
    language: str | None = None
    state: str = ""


class LiveRecording(AriModel):
    """A recording in progress; `state` runs queued → recording → done/failed/canceled."""

    name: str
    format: str = ""
    target_uri: str = ""
    state: str = ""
    duration: int | None = None
    talking_duration: int | None = None
    silence_duration: int | None = None
    cause: str | None = None


class StoredRecording(AriModel):
    """A finished recording kept on the Asterisk server."""

    name: str
    format: str = ""


class BuildInfo(AriModel):
    """How the Asterisk binary was built."""

    os: str = ""
    kernel: str = ""
    options: str = ""
    machine: str = ""
    date: str = ""
    user: str = ""


class SystemInfo(AriModel):
    """The Asterisk version and entity id."""

    version: str = ""
    entity_id: str = ""


class SetId(AriModel):
    """The effective user and group Asterisk runs as."""

    user: str = ""
    group: str = ""


class ConfigInfo(AriModel):
    """Asterisk's main configuration (system name, language, limits)."""

    name: str = ""
    default_language: str = ""
    max_channels: int | None = None
    max_open_files: int | None = None
    max_load: float | None = None
    setid: SetId | None = None


class StatusInfo(AriModel):
    """When Asterisk started and was last reloaded."""

    startup_time: datetime | None = None
    last_reload_time: datetime | None = None


class AsteriskInfo(AriModel):
    """`GET /asterisk/info`: the readiness probe reads the version from it."""

    build: BuildInfo | None = None
    system: SystemInfo | None = None
    config: ConfigInfo | None = None
    status: StatusInfo | None = None

    @property
    def version(self) -> str | None:
        """The Asterisk version string (`22.10.1`), or None when the server did not say."""
        return self.system.version if self.system and self.system.version else None


class Application(AriModel):
    """A Stasis application and what it is subscribed to."""

    name: str
    channel_ids: tuple[str, ...] = ()
    bridge_ids: tuple[str, ...] = ()
    endpoint_ids: tuple[str, ...] = ()
    device_names: tuple[str, ...] = ()
    events_allowed: tuple[dict[str, Any], ...] = ()
    events_disallowed: tuple[dict[str, Any], ...] = ()


class Variable(AriModel):
    """The value of one channel or global variable."""

    value: str = ""
