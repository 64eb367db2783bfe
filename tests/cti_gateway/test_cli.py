"""The `cti-gateway` command: what deployments script against."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cti_gateway.cli import app
from tests.support.processes import PbxsimProcess, free_port

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_cti_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CTI_"):
            monkeypatch.delenv(name)


def test_check_config_prints_the_settings_with_secrets_hidden() -> None:
    result = runner.invoke(app, ["check-config"], env={"CTI_AMI_SECRET": "very-secret"})

    assert result.exit_code == 0, result.output
    assert "ami_port = 5038" in result.output
    assert "very-secret" not in result.output
    assert "ami_secret = **********" in result.output
    assert result.output.rstrip().endswith("configuration OK")


def test_check_config_exits_2_naming_each_bad_field(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text("ami_port: 99999\nhttp_port: web\n", encoding="utf-8")

    result = runner.invoke(app, ["check-config", "--config", str(config)])

    assert result.exit_code == 2
    assert "ami_port (CTI_AMI_PORT)" in result.output
    assert "http_port (CTI_HTTP_PORT)" in result.output


def test_serve_refuses_to_start_with_invalid_settings() -> None:
    result = runner.invoke(app, ["serve"], env={"CTI_REDIS_URL": "http://not-redis"})

    assert result.exit_code == 2
    assert "redis_url (CTI_REDIS_URL): must start with redis://" in result.output


def test_served_gateway_becomes_ready_against_pbxsim(tmp_path: Path) -> None:
    """`cti-gateway serve` as its own process, over real HTTP, as a deployment runs it."""
    pbx = PbxsimProcess()
    pbx.start()
    http_port = free_port()
    environment = {
        **os.environ,
        "CTI_AMI_PORT": str(pbx.ami_port),
        "CTI_ARI_URL": pbx.ari_url,
        "CTI_HTTP_PORT": str(http_port),
        "CTI_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "cti_gateway.cli", "serve"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        answer: httpx.Response | None = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=1)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        assert answer.json()["asterisk_version"] == "22.10.1"
        docs = httpx.get(f"http://127.0.0.1:{http_port}/openapi.json", timeout=5).json()
        assert {"/healthz", "/readyz"} <= set(docs["paths"])
    finally:
        server.terminate()
        server.wait(timeout=15)
        pbx.kill()


def test_demo_starts_pbxsim_and_a_ready_gateway_and_prints_where_to_look(tmp_path: Path) -> None:
    http_port, ami_port, ari_port = free_port(), free_port(), free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "cti_gateway.cli", "demo", "--http-port", str(http_port),
         "--ami-port", str(ami_port), "--ari-port", str(ari_port)],
        cwd=tmp_path,
        env={name: value for name, value in os.environ.items() if not name.startswith("CTI_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        printed = [demo.stdout.readline() for _ in range(2)]
        assert f"ARI http://127.0.0.1:{ari_port}/ari" in printed[0]
        assert f"http://127.0.0.1:{http_port}/docs" in printed[1]
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                status = httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.2)
        assert status == 200
        assert (tmp_path / "var" / "cti-gateway.db").exists(), "embedded SQLite store was not created"
    finally:
        demo.terminate()
        demo.wait(timeout=20)
