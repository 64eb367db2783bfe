"""Durations (simulated seconds) of the sound files the reference rig has; unknown names fail to play."""

from __future__ import annotations

SOUND_SECONDS: dict[str, float] = {
    "beep": 0.25,
    "cti-prompt": 2.75,
    "cti-ok": 1.0,
    "cti-error": 1.0,
    "silence/1": 1.0,
    "tt-monkeys": 4.0,
    "hello-world": 1.5,
    "demo-congrats": 4.0,
}


def sound_duration(name: str) -> float | None:
    """How long a sound plays, or None when the file does not exist."""
    return SOUND_SECONDS.get(name)
