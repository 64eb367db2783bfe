"""Join what the PBX did with what the desktops saw: screen-pop latency, lost and duplicate pops."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PopOutcome:
    """Per-call screen-pop results; latencies are (ring time, ms) for calls whose pop arrived."""

    latencies: list[tuple[float, float]]
    lost: list[str]
    duplicates: int
    unexpected: int
    not_started: int
    not_rung: int


def match_pops(
    originated: Mapping[str, str],
    call_of_action: Mapping[str, str],
    rang: Mapping[tuple[str, str], float],
    pops: Iterable[tuple[str, str, float]],
) -> PopOutcome:
    """Every accepted Originate is one call to one agent; it needs exactly one pop on that agent's desktop.

    `originated`: ActionID -> agent; `call_of_action`: ActionID -> call_id (OriginateResponse Uniqueid,
    which is the call's Linkedid); `rang`: (agent, call_id) -> DialBegin timestamp; `pops`: what arrived.
    """
    first_pop: dict[tuple[str, str], float] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for pop_agent, pop_call, pop_arrived in pops:
        pop_key = (pop_agent, pop_call)
        seen[pop_key] += 1
        if pop_key not in first_pop or pop_arrived < first_pop[pop_key]:
            first_pop[pop_key] = pop_arrived
    duplicates = sum(count - 1 for count in seen.values() if count > 1)
    expected: set[tuple[str, str]] = set()
    latencies: list[tuple[float, float]] = []
    lost: list[str] = []
    not_started = not_rung = 0
    for action_id, agent in originated.items():
        call_id = call_of_action.get(action_id)
        if call_id is None:
            not_started += 1
            lost.append(f"{action_id} to {agent}: no successful OriginateResponse")
            continue
        key = (agent, call_id)
        expected.add(key)
        rang_at = rang.get(key)
        if rang_at is None:
            not_rung += 1
        arrived = first_pop.get(key)
        if arrived is None:
            lost.append(
                f"call {call_id} to agent {agent}: " + ("never rang" if rang_at is None else "no pop")
            )
        elif rang_at is not None:
            latencies.append((rang_at, (arrived - rang_at) * 1000.0))
    unexpected = len([key for key in first_pop if key not in expected])
    return PopOutcome(latencies, lost, duplicates, unexpected, not_started, not_rung)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (the value below which `fraction` of the sorted values lie)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def rate_in_window(per_second: Mapping[int, int], start: float, end: float) -> float:
    """Mean count per second over the whole seconds inside [start, end)."""
    first, last = int(start) + 1, int(end)
    if last <= first:
        return float("nan")
    return sum(per_second.get(second, 0) for second in range(first, last)) / (last - first)
