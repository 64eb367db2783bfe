"""Start, kill and restart real processes for fault tests: pbxsim, and anything else that listens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_listening(port: int, timeout: float = 15.0) -> None:
    """Block until something accepts TCP connections on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class PbxsimProcess:
    """pbxsim in its own OS process (`cti-gateway pbxsim`), so tests can kill it like a crashed Asterisk."""

    ami_port: int = field(default_factory=free_port)
    ari_port: int = field(default_factory=free_port)
    scenario: str = "idle"
    seed: int = 1
    speed: float = 20.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ari_port}/ari"

    def start(self) -> None:
        command = [
            sys.executable, "-m", "cti_gateway.cli", "pbxsim",
            "--ami-port", str(self.ami_port), "--ari-port", str(self.ari_port),
            "--scenario", self.scenario, "--seed", str(self.seed), "--speed", str(self.speed),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=os.environ.copy())
        wait_until_listening(self.ami_port)
        wait_until_listening(self.ari_port)

    def kill(self) -> None:
        """SIGKILL, like a crash: no goodbye on any socket."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()


@dataclass
class RealAsterisk:
    """A real Asterisk 22 configured as in `../shared/asterisk/conf/`, controlled by two scripts.

    Set `CTI_TEST_ASTERISK_CONTROL` to a folder holding `start.sh` (start and wait for AMI) and
    `stop.sh` (`--kill` for SIGKILL); the tests then run against it as well as against pbxsim.
    """

    control: Path
    ami_port: int = 5038
    ari_port: int = 8088

    @classmethod
    def from_environment(cls) -> RealAsterisk | None:
        folder = os.environ.get("CTI_TEST_ASTERISK_CONTROL")
        return cls(Path(folder)) if folder else None

    @property
    def ari_url(self) -> str:
        return f"http://127.0.0.1:{self.ari_port}/ari"

    def start(self) -> None:
        subprocess.run([str(self.control / "start.sh")], check=True, capture_output=True)
        wait_until_listening(self.ami_port)
        wait_until_listening(self.ari_port)

    def kill(self) -> None:
        subprocess.run([str(self.control / "stop.sh"), "--kill"], check=True, capture_output=True)

    def restart(self) -> None:
        self.kill()
        self.start()
