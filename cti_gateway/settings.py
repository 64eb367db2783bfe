"""The gateway's settings: `CTI_*` environment variables over an optional YAML file over defaults.

The names are a public contract (deployments script against them); see docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/cti-gateway.db"


class SettingsError(Exception):
    """Settings that cannot start the gateway; the message lists every bad field, one per line."""


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

    @field_validator("ami_host", "ami_username", "ari_username")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ValueError("must not contain control characters")
        return value

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
    return settings


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "settings"
        env_name = f"CTI_{field.upper()}" if problem["loc"] else ""
        where = f"{field} ({env_name})" if env_name else field
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown setting"
        lines.append(f"{where}: {message}")
    return "\n".join(lines)
