"""Event pipeline benchmark: AMI frame that rings an agent's phone -> screen pop on that agent's desktop.

Starts three processes besides this one, so that the gateway's CPU and memory are its own:
pbxsim (`cti-gateway pbxsim`), the gateway (`cti-gateway serve --config` with 1000 agents, the same
code path as production: uvicorn, no WebSocket compression) and the agent desktops (N `websockets`
clients, bench/_pipeline/desktops.py). This process issues the agent tokens, then drives calls over
AMI at --rate per second (round-robin over the agents, each call ringing one agent's
`Local/1XXX@agents` through `Dial`, with pbxsim's full VarSet/Newexten noise) and listens to the
whole AMI stream.

Each call holds its agent for about (agents / rate) * 0.8 s, so that nearly every agent is busy
once the ramp is over. The first hold period is ramp-up; rates, CPU and latency percentiles cover
the --duration seconds of steady state after it. Lost and duplicate pops cover every call.

Screen-pop latency runs from the agent's `DialBegin` `Timestamp:` header (pbxsim stamps it with its
wall clock when it emits the frame) to the pop's arrival at the desktop (same machine, same clock).

Run: python bench/event_pipeline.py [--desktops 1000] [--rate 50] [--duration 30] [--speed 1]
Prints a table, then one JSON line: screen_pop_p50_ms, screen_pop_p99_ms, screen_pop_max_ms, lost,
duplicates, ami_events_per_s, ws_deliveries_per_s, gateway_rss_mb.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from adapters.storage import Database, SqlApiTokenStore, upgrade_database
from bench._pipeline.calls import CallDriver, CallLength
from bench._pipeline.procstat import ProcessSample, machine_busy_seconds, sample_process
from bench._pipeline.report import match_pops, percentile, rate_in_window
from cti_gateway.auth.tokens import issue_agent_token, issue_integration_token

ROOT = Path(__file__).resolve().parents[1]
SPECIAL_EXTENSIONS = {"1996", "1997", "1998", "1999"}  # echo, busy, congestion, never answers
EXTRA_AGENT_IDS = ["2000", "2001", "2002", "2003"]  # configured and connected, never dialled
DRAIN_SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def agent_ids(desktops: int) -> tuple[list[str], list[str]]:
    """(every configured agent, the ones calls ring): 1000-1995 first, then ids that are never dialled."""
    dialable = [str(n) for n in range(1000, 2000) if str(n) not in SPECIAL_EXTENSIONS]
    configured = (dialable + EXTRA_AGENT_IDS)[: max(desktops, 1)]
    return configured, [agent for agent in configured if agent in dialable]


def write_config(path: Path, *, ami_port: int, ari_port: int, http_port: int, agents: list[str]) -> None:
    lines = [
        f"ami_port: {ami_port}",
        f"ari_url: http://127.0.0.1:{ari_port}/ari",
        f"database_url: sqlite+aiosqlite:///{path.parent / 'gateway.db'}",
        f"http_port: {http_port}",
        "agents:",
    ]
    for agent in agents:
        lines += [f'  - id: "{agent}"', f"    name: Agent {agent}", f"    endpoint: Local/{agent}@agents"]
    path.write_text("\n".join(lines) + "\n")


async def issue_tokens(database_url: str, agents: list[str]) -> tuple[list[tuple[str, str]], str]:
    """One agent token per desktop, and a `calls:read` key for the bench, stored before the gateway starts."""
    await upgrade_database(database_url)
    database = Database.from_url(database_url)
    try:
        store = SqlApiTokenStore(database)
        agent_tokens = [(agent, (await issue_agent_token(store, agent)).secret) for agent in agents]
        reader = await issue_integration_token(store, "event pipeline bench", ["calls:read"])
        return agent_tokens, reader.secret
    finally:
        await database.dispose()


def start_process(args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(args, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, **kwargs)


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_until_ready(url: str, gateway: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if gateway.poll() is not None:
                raise RuntimeError(f"the gateway exited ({gateway.returncode}); see {log}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url, timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the gateway never became ready at {url}; see {log}")


@dataclass
class Window:
    """The steady-state window and the process samples taken at its edges."""

    start: float
    end: float
    gateway: tuple[ProcessSample, ProcessSample]
    others: dict[str, tuple[ProcessSample, ProcessSample]]
    machine: tuple[tuple[float, float], tuple[float, float]]


def cpu_percent(samples: tuple[ProcessSample, ProcessSample], seconds: float) -> float:
    return (samples[1].cpu_seconds - samples[0].cpu_seconds) / seconds * 100.0


async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    configured, dialable = agent_ids(args.desktops)
    hold_real = len(dialable) / args.rate * 0.8
    length = CallLength(
        customer_ring=0.2 * args.speed,
        agent_ring=1.0 * args.speed,
        agent_talk=(hold_real - 1.0) * args.speed,
        customer_talk=(hold_real + 30.0) * args.speed,
    )
    ramp = hold_real + 1.0
    ami_port, ari_port, http_port = free_port(), free_port(), free_port()
    config = workdir / "gateway.yaml"
    write_config(config, ami_port=ami_port, ari_port=ari_port, http_port=http_port, agents=configured)
    tokens, reader = await issue_tokens(f"sqlite+aiosqlite:///{workdir / 'gateway.db'}", configured)
    tokens_file = workdir / "tokens.json"
    tokens_file.write_text(json.dumps(tokens))
    python = sys.executable
    processes: list[subprocess.Popen[bytes]] = []
    try:
        pbxsim = start_process(
            [
                python,
                "-m",
                "cti_gateway.cli",
                "pbxsim",
                "--ami-port",
                str(ami_port),
                "--ari-port",
                str(ari_port),
                "--speed",
                str(args.speed),
            ],
            workdir / "pbxsim.log",
        )
        processes.append(pbxsim)
        await asyncio.sleep(1.5)
        gateway_log = workdir / "gateway.log"
        probe = args.gc_log or args.gc_freeze
        launcher = [str(ROOT / "bench" / "_pipeline" / "gc_probe.py")] if probe else ["-m", "cti_gateway.cli"]
        environment = {**os.environ, "EVENT_PIPELINE_GC_LOG": str(args.gc_log or "/dev/null")}
        gateway = start_process(
            [python, *launcher, "serve", "--config", str(config)], gateway_log, env=environment
        )
        processes.append(gateway)
        await wait_until_ready(f"http://127.0.0.1:{http_port}/readyz", gateway, gateway_log)
        idle = sample_process(gateway.pid)

        desktop_out = workdir / "desktops.json"
        desktops = subprocess.Popen(
            [
                python,
                str(ROOT / "bench" / "_pipeline" / "desktops.py"),
                "--url",
                f"ws://127.0.0.1:{http_port}/ws",
                "--tokens",
                str(tokens_file),
                "--out",
                str(desktop_out),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(workdir / "desktops.log").open("wb"),
        )
        processes.append(desktops)
        assert desktops.stdout is not None and desktops.stdin is not None
        connected_line = await asyncio.to_thread(desktops.stdout.readline)
        _, ok, failed = connected_line.decode().split()
        if args.gc_freeze:
            gateway.send_signal(signal.SIGUSR1)  # gc_probe.py: gc.collect(); gc.freeze()
            await asyncio.sleep(1.0)
        with_desktops = sample_process(gateway.pid)
        print(
            f"connected {ok} desktops ({failed} failed); gateway RSS {idle.rss_mb:.0f} MB idle, "
            f"{with_desktops.rss_mb:.0f} MB with desktops",
            flush=True,
        )

        driver = CallDriver(ami_port, dialable, length)
        await driver.start()
        print(
            f"driving {args.rate:g} calls/s for {ramp:.0f} s ramp + {args.duration:g} s steady "
            f"(each call holds its agent ~{hold_real:.0f} s)",
            flush=True,
        )
        drive = asyncio.create_task(driver.drive(args.rate, ramp + args.duration))
        await asyncio.sleep(ramp)
        profiler = None
        if args.py_spy:
            profiler = subprocess.Popen(
                [
                    str(Path(python).parent / "py-spy"),
                    "record",
                    "-p",
                    str(gateway.pid),
                    "-d",
                    str(int(args.duration)),
                    "-r",
                    "200",
                    "-o",
                    str(args.py_spy),
                    "-f",
                    args.py_spy_format,
                ],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / "py-spy.log").open("wb"),
            )
        watched = {"pbxsim": pbxsim.pid, "desktops": desktops.pid, "bench": os.getpid()}
        start, gw0, machine0 = time.time(), sample_process(gateway.pid), machine_busy_seconds()
        others0 = {name: sample_process(pid) for name, pid in watched.items()}
        await drive
        end, gw1, machine1 = time.time(), sample_process(gateway.pid), machine_busy_seconds()
        others1 = {name: sample_process(pid) for name, pid in watched.items()}
        if profiler is not None:
            await asyncio.to_thread(profiler.wait, 60)
        live_calls = await count_live_calls(http_port, reader)
        if args.gc_log:
            gateway.send_signal(signal.SIGUSR2)  # gc_probe.py writes an object census
        await asyncio.sleep(DRAIN_SECONDS + length.agent_ring / args.speed)
        final = sample_process(gateway.pid)
        await driver.stop()
        desktops.stdin.write(b"stop\n")
        desktops.stdin.flush()
        await asyncio.to_thread(desktops.wait, 60)
        seen = json.loads(desktop_out.read_text())
    finally:
        for process in reversed(processes):
            stop_process(process, signal.SIGTERM if process is processes[0] else signal.SIGINT)

    window = Window(
        start,
        end,
        (gw0, gw1),
        {name: (others0[name], others1[name]) for name in watched},
        (machine0, machine1),
    )
    return summarise(args, driver, seen, window, idle, with_desktops, final, live_calls, int(ok), int(failed))


async def count_live_calls(http_port: int, token: str) -> int | None:
    """How many live calls the gateway holds right now (GET /api/v1/calls with a `calls:read` key)."""
    async with httpx.AsyncClient() as client:
        try:
            response = await client.get(
                f"http://127.0.0.1:{http_port}/api/v1/calls",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
        except httpx.HTTPError:
            return None
    return len(response.json()["calls"]) if response.status_code == 200 else None


def summarise(
    args: argparse.Namespace,
    driver: CallDriver,
    seen: dict[str, Any],
    window: Window,
    idle: ProcessSample,
    with_desktops: ProcessSample,
    final: ProcessSample,
    live_calls: int | None,
    connected: int,
    connect_failed: int,
) -> dict[str, Any]:
    log = driver.log
    pops = [(str(a), str(c), float(t)) for a, c, t in seen["pops"]]
    outcome = match_pops(log.originated, log.call_of_action, log.rang, pops)
    seconds = window.end - window.start
    steady = [ms for rang_at, ms in outcome.latencies if window.start <= rang_at < window.end]
    every = [ms for _, ms in outcome.latencies]
    ami_delay = [
        (log.ring_heard[key] - rang_at) * 1000.0
        for key, rang_at in log.rang.items()
        if window.start <= rang_at < window.end and key in log.ring_heard
    ]
    if args.keep:
        (args.workdir / "latencies.json").write_text(json.dumps(outcome.latencies))
    frames_per_second = {int(k): v for k, v in seen["frames_per_second"].items()}
    ami_rate = rate_in_window(log.events_per_second, window.start, window.end)
    ws_rate = rate_in_window(frames_per_second, window.start, window.end)
    mean_frame = seen["characters"] / seen["frames"] if seen["frames"] else 0.0
    busy = window.machine[1][0] - window.machine[0][0]
    total = window.machine[1][1] - window.machine[0][1]

    rows = [
        ("desktops connected", f"{connected} ({connect_failed} failed)"),
        ("calls originated / accepted", f"{len(log.originated)} / {len(log.call_of_action)}"),
        ("originate errors / failures", f"{len(log.originate_errors)} / {log.failed_originates}"),
        ("agent phones rung (DialBegin)", f"{len(log.rang)}"),
        ("screen pops received", f"{len(pops)}"),
        (
            "lost / duplicates / unexpected",
            f"{len(outcome.lost)} / {outcome.duplicates} / {outcome.unexpected}",
        ),
        ("desktops closed early", f"{len(seen['closed_early'])}"),
        ("screen pop p50 (steady)", f"{percentile(steady, 0.50):.2f} ms  (n={len(steady)})"),
        ("screen pop p99 (steady)", f"{percentile(steady, 0.99):.2f} ms"),
        ("screen pop max (steady)", f"{max(steady, default=math.nan):.2f} ms"),
        ("screen pop p50/p99/max (all)", "/".join(f"{v:.2f}" for v in _stats(every)) + " ms"),
        ("DialBegin->bench AMI p50/p99/max", "/".join(f"{v:.2f}" for v in _stats(ami_delay)) + " ms"),
        ("AMI events/s", f"{ami_rate:,.0f}"),
        ("WebSocket deliveries/s", f"{ws_rate:,.0f}"),
        ("gateway CPU", f"{cpu_percent(window.gateway, seconds):.0f} % of one core"),
        *(
            (f"{name} CPU", f"{cpu_percent(samples, seconds):.0f} % of one core")
            for name, samples in window.others.items()
        ),
        ("machine busy", f"{busy / total * 100 if total else math.nan:.0f} % of {os.cpu_count()} cores"),
        ("gateway RSS idle / +desktops", f"{idle.rss_mb:.0f} / {with_desktops.rss_mb:.0f} MB"),
        ("gateway peak RSS (VmHWM)", f"{final.peak_rss_mb:.0f} MB"),
        ("mean frame size", f"{mean_frame:,.0f} characters"),
        ("replay buffers after 10 min (est.)", f"{mean_frame * ws_rate * 600 / 2**20:,.0f} MB of frame text"),
    ]
    if live_calls is not None:
        rows.append(("live calls held by gateway", str(live_calls)))
    print()
    print(f"event pipeline: {args.desktops} desktops, {args.rate:g} calls/s, {seconds:.0f} s steady state")
    for label, value in rows:
        print(f"  {label:<36}{value}")
    for line in outcome.lost[:10]:
        print(f"  lost: {line}")
    for line in log.originate_errors[:5]:
        print(f"  originate error: {line}")
    for agent, code, reason in seen["closed_early"][:5]:
        print(f"  desktop {agent} closed: {code} {reason}")
    for line in seen["connect_failures"][:5]:
        print(f"  connect failure: {line}")
    p50, p99, worst = _stats(steady)
    return {
        "screen_pop_p50_ms": round(p50, 3),
        "screen_pop_p99_ms": round(p99, 3),
        "screen_pop_max_ms": round(worst, 3),
        "lost": len(outcome.lost),
        "duplicates": outcome.duplicates,
        "ami_events_per_s": round(ami_rate, 1),
        "ws_deliveries_per_s": round(ws_rate, 1),
        "gateway_rss_mb": round(final.peak_rss_mb, 1),
    }


def _stats(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 0.50), percentile(values, 0.99), max(values, default=math.nan)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--desktops", type=int, default=1000, help="agent desktops (and agents) to connect")
    parser.add_argument("--rate", type=float, default=50.0, help="new calls per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of steady state to measure")
    parser.add_argument("--speed", type=float, default=1.0, help="pbxsim time acceleration")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, latencies)")
    parser.add_argument("--py-spy", type=Path, help="profile the gateway in steady state into this file")
    parser.add_argument("--gc-log", type=Path, help="log every gateway garbage collection (time, pause) here")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="experiment: gc.freeze() in the gateway once the desktops are connected",
    )
    parser.add_argument(
        "--py-spy-format", default="speedscope", help="py-spy output format (raw, flamegraph)"
    )
    args = parser.parse_args()
    if not 1 <= args.desktops <= 1000:
        parser.error("--desktops must be between 1 and 1000 (the dialplan has 996 plain agent extensions)")
    workdir = args.workdir = Path(tempfile.mkdtemp(prefix="event-pipeline-"))
    try:
        result = asyncio.run(bench(args, workdir))
    finally:
        if args.keep:
            print(f"work directory: {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
