"""The gateway's settings: `CTI_*` environment variables over an optional YAML file over defaults.

The names are a public contract (deployments script against them); see docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/cti-gateway.db"


class SettingsError(Exception):
    """Settings that cannot start the gateway; the message lists every bad field, one per line."""


def _refuse_control_characters(value: str) -> str:
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("must not contain control characters")
    return value


class AgentSettings(BaseModel):
    """One agent as the `agents:` list of the YAML file declares it (shape fixed: docs/configuration.md)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    endpoint: str = Field(
        pattern=r"^[A-Za-z0-9_-]+/[^\s]+$",
        description="The agent's phone as Asterisk dials it: PJSIP/1001, Local/1001@agents …",
    )

    _no_control_characters = field_validator("name", "endpoint")(_refuse_control_characters)


class DirectorySettings(BaseModel):
    """Where ANI lookup finds customer records: a CSV file, an SQL table or an HTTP CRM."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["csv", "sql", "http"]
    path: Path | None = Field(None, description="csv: the file; relative paths start at the YAML file.")
    url: str | None = Field(None, description="sql: SQLAlchemy async URL; http: URL template with {number}.")
    table: str = Field("customers", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="sql: table name.")
    phone_column: str = Field("phone", pattern=r"^[A-Za-z_][A-Za-z0-9_ -]*$")
    field_map: dict[str, str] = Field(default_factory=dict, description="http: record field -> JSON path.")
    timeout_ms: int = Field(500, gt=0, le=60_000)
    cache_ttl_seconds: float = Field(60.0, ge=0)


class Settings(BaseSettings):
    """Everything the gateway needs to reach Asterisk, its store and its bus, and to serve HTTP."""

    model_config = SettingsConfigDict(env_prefix="CTI_", extra="forbid", validate_default=True)

    ami_host: str = "127.0.0.1"
    ami_port: int = Field(5038, ge=1, le=65535)
    ami_username: str = "cti"
    ami_secret: SecretStr = SecretStr("cti-secret")

    ari_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8088/ari")
    ari_username: str = "cti"
    ari_password: SecretStr = SecretStr("cti-secret")
    ari_app: str = Field("cti", pattern=r"^[A-Za-z0-9_.-]+$")

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None

    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)

    config_file: Path | None = None

    reconnect_backoff_base: float = Field(0.5, gt=0, description="First reconnect delay, seconds.")
    reconnect_backoff_max: float = Field(30.0, gt=0, description="Longest reconnect delay, seconds.")
    ami_ping_interval: float = Field(10.0, gt=0, description="Seconds between AMI keepalive Pings.")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    event_buffer_seconds: float = Field(600.0, gt=0, description="How long a client can be away and resume.")
    event_buffer_max_events: int = Field(10_000, gt=0, description="Events kept per stream for resume.")
    ws_max_pending: int = Field(1_000, gt=0, description="Unsent events before a slow client is closed.")

    webhook_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key; unset: no webhooks.")
    outbound_context: str = Field("dial-out", pattern=r"^[A-Za-z0-9_.-]+$")
    transfer_context: str = Field("", pattern=r"^[A-Za-z0-9_.-]*$")
    e164_prefix: str = Field("", pattern=r"^[0-9+]*$", description="Dialled before an E.164 number's digits.")
    recording_directory: str = Field("", description="Where MixMonitor writes recordings on the PBX.")
    conference_context: str = Field("conf", pattern=r"^[A-Za-z0-9_.-]+$", description="ConfBridge context.")
    conference_room_prefix: str = Field("room", pattern=r"^[A-Za-z0-9_.-]*$")
    atxfer_swap_digits: str = Field("*4", pattern=r"^[0-9*#]{1,8}$", description="features.conf atxferswap.")

    default_region: str = Field(
        "US", pattern=r"^[A-Z]{2}$", description="Country assumed for numbers without +, for E.164."
    )
    agents: list[AgentSettings] = Field(default_factory=list)
    directory: DirectorySettings | None = None

    _no_control_characters = field_validator("ami_host", "ami_username", "ari_username")(
        _refuse_control_characters
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file_from(init_settings, env_settings)
        if config_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)


def _config_file_from(*sources: PydanticBaseSettingsSource) -> Path | None:
    for source in sources:
        value = source().get("config_file")
        if value:
            return Path(value)
    return None


def _check_config_file(path: Path) -> None:
    if not path.is_file():
        raise SettingsError(f"config_file: {path} does not exist")
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SettingsError(f"config_file: {path} is not valid YAML: {exc}") from exc
    if content is not None and not isinstance(content, dict):
        raise SettingsError(f"config_file: {path} must hold a mapping of setting names to values")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, turning every validation problem into one readable line per field."""
    if config_file is not None:
        overrides["config_file"] = config_file
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None
    if settings.config_file is not None:
        _check_config_file(settings.config_file)
        directory = settings.directory
        if directory is not None and directory.path is not None and not directory.path.is_absolute():
            directory.path = settings.config_file.parent / directory.path
    return settings


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        location = problem["loc"]
        if len(location) == 1:
            where = f"{location[0]} (CTI_{str(location[0]).upper()})"
        elif location:
            where = str(location[0]) + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in location[1:]
            )
        else:
            where = "settings"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown setting"
        lines.append(f"{where}: {message}")
    return "\n".join(lines)
