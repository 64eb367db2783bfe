"""Load the real Asterisk 22 wire transcripts in `../shared/asterisk/transcripts/wire/`.

Each file is one scenario: a header line, then one frame per line with its time, connection,
direction and data. Tests replay these against the adapters and against pbxsim.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _find_asterisk_reference() -> Path:
    """The reference lives beside the checkout (`../shared/asterisk`); CI clones elsewhere, so look around."""
    candidates = [
        os.environ.get("CTI_ASTERISK_REFERENCE", ""),
        str(Path(__file__).resolve().parents[3] / "shared" / "asterisk"),
        "/work/shared/asterisk",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "transcripts").is_dir():
            return Path(candidate)
    raise FileNotFoundError(
        "Asterisk reference not found; set CTI_ASTERISK_REFERENCE to the folder holding transcripts/"
    )


ASTERISK_REFERENCE = _find_asterisk_reference()
WIRE_DIR = ASTERISK_REFERENCE / "transcripts" / "wire"


@dataclass(frozen=True, slots=True)
class WireFrame:
    """One frame as recorded: seconds since start, connection, direction, payload and lifecycle marker."""

    t: float
    conn: str
    dir: str
    data: Any
    ctl: str | None = None
    cid: str | None = None


@dataclass(frozen=True, slots=True)
class WireScenario:
    """One recorded scenario: what it shows and every frame in order."""

    name: str
    description: str
    t0_epoch: float
    frames: tuple[WireFrame, ...]

    def ami_received_bytes(self, cid: str | None = None) -> bytes:
        """The exact bytes one AMI socket received, banner included."""
        return b"".join(
            f.data.encode()
            for f in self.frames
            if f.conn == "ami" and f.dir == "recv" and f.data is not None and f.cid == cid
        )

    def frames_of(self, conn: str, direction: str, cid: str | None = None) -> Iterator[WireFrame]:
        """Data frames (not lifecycle markers) of one connection and direction."""
        for f in self.frames:
            if f.conn == conn and f.dir == direction and f.data is not None and f.cid == cid:
                yield f


def wire_scenario_names(prefix: str = "") -> list[str]:
    """Names of all recorded scenarios, optionally only those starting with `prefix` (`ami_`, `ari_`)."""
    return sorted(p.stem for p in WIRE_DIR.glob(f"{prefix}*.jsonl"))


def load_wire_scenario(name: str) -> WireScenario:
    """Read one scenario file by name, e.g. `ami_queue_call_answered`."""
    lines = (WIRE_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    frames = []
    for line in lines[1:]:
        raw = json.loads(line)
        frames.append(
            WireFrame(
                t=raw["t"],
                conn=raw["conn"],
                dir=raw["dir"],
                data=raw.get("data"),
                ctl=raw.get("ctl"),
                cid=raw.get("cid"),
            )
        )
    return WireScenario(header["scenario"], header["description"], header["t0_epoch"], tuple(frames))
