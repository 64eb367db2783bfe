"""Settings come from CTI_* env vars over an optional YAML file; bad ones are named one per line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti_gateway.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _no_cti_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("CTI_"):
            monkeypatch.delenv(name)


def test_defaults_point_at_a_local_asterisk_with_embedded_storage() -> None:
    settings = load_settings()
    assert (settings.ami_host, settings.ami_port, settings.ami_username) == ("127.0.0.1", 5038, "cti")
    assert str(settings.ari_url) == "http://127.0.0.1:8088/ari"
    assert settings.ari_app == "cti"
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.redis_url is None
    assert settings.http_port == 8000


def test_environment_variables_use_the_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTI_AMI_HOST", "pbx.example.net")
    monkeypatch.setenv("CTI_AMI_PORT", "15038")
    monkeypatch.setenv("CTI_AMI_USERNAME", "gateway")
    monkeypatch.setenv("CTI_AMI_SECRET", "s3cret")
    monkeypatch.setenv("CTI_ARI_URL", "http://pbx.example.net:8088/ari")
    monkeypatch.setenv("CTI_ARI_USERNAME", "ari-user")
    monkeypatch.setenv("CTI_ARI_PASSWORD", "ari-pass")
    monkeypatch.setenv("CTI_ARI_APP", "contact-center")
    monkeypatch.setenv("CTI_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    monkeypatch.setenv("CTI_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CTI_HTTP_HOST", "0.0.0.0")
    monkeypatch.setenv("CTI_HTTP_PORT", "9000")

    settings = load_settings()

    assert settings.ami_host == "pbx.example.net"
    assert settings.ami_port == 15038
    assert settings.ami_username == "gateway"
    assert settings.ami_secret.get_secret_value() == "s3cret"
    assert str(settings.ari_url) == "http://pbx.example.net:8088/ari"
    assert settings.ari_username == "ari-user"
    assert settings.ari_password.get_secret_value() == "ari-pass"
    assert settings.ari_app == "contact-center"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 9000)


def test_yaml_file_fills_settings_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("ami_host: 10.0.0.5\nami_port: 6038\nhttp_port: 8100\n", encoding="utf-8")
    monkeypatch.setenv("CTI_CONFIG_FILE", str(config))
    monkeypatch.setenv("CTI_HTTP_PORT", "8200")

    settings = load_settings()

    assert settings.ami_host == "10.0.0.5"
    assert settings.ami_port == 6038
    assert settings.http_port == 8200


def test_config_option_is_the_same_as_the_environment_variable(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("ari_app: ivr\n", encoding="utf-8")
    assert load_settings(config_file=config).ari_app == "ivr"


def test_every_bad_field_is_named_on_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTI_AMI_PORT", "not-a-port")
    monkeypatch.setenv("CTI_HTTP_PORT", "70000")
    monkeypatch.setenv("CTI_DATABASE_URL", "mysql://root@localhost/cti")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    lines = str(raised.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("ami_port (CTI_AMI_PORT):")
    assert any(line.startswith("http_port (CTI_HTTP_PORT):") for line in lines)
    assert any("database_url (CTI_DATABASE_URL): must start with" in line for line in lines)


def test_unknown_key_in_the_yaml_file_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("ami_hots: typo\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"ami_hots .*: unknown setting"):
        load_settings(config_file=config)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(config_file=tmp_path / "absent.yaml")


def test_control_characters_in_the_ami_username_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CTI_AMI_USERNAME", "cti\r\nAction: Originate")
    with pytest.raises(SettingsError, match="ami_username"):
        load_settings()


def test_agents_and_directory_come_from_the_yaml_file_in_their_documented_shape(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        "agents:\n"
        '  - id: "1001"\n'
        "    name: Ana Pérez\n"
        "    endpoint: Local/1001@agents\n"
        "directory:\n"
        "  kind: csv\n"
        "  path: customers.csv\n",
        encoding="utf-8",
    )

    settings = load_settings(config_file=config)

    assert [(a.id, a.name, a.endpoint) for a in settings.agents] == [
        ("1001", "Ana Pérez", "Local/1001@agents")
    ]
    assert settings.directory is not None
    assert settings.directory.kind == "csv"
    assert settings.directory.path == tmp_path / "customers.csv"
    assert settings.directory.timeout_ms == 500


def test_a_bad_agent_is_named_by_its_position_and_field(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        "agents:\n"
        '  - {id: "1001", name: Ana, endpoint: Local/1001@agents}\n'
        '  - {id: "10 02", name: Bob, endpoint: "no-technology"}\n',
        encoding="utf-8",
    )

    with pytest.raises(SettingsError) as raised:
        load_settings(config_file=config)

    lines = str(raised.value).splitlines()
    assert any(line.startswith("agents[1].id:") for line in lines)
    assert any(line.startswith("agents[1].endpoint:") for line in lines)
    assert not any(line.startswith("agents[0]") for line in lines)
