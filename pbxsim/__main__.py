"""`python -m pbxsim --ami-port 5038 --ari-port 8088 --scenario inbound --seed 1 --speed 1`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from pbxsim.runner import Pbxsim


async def _main(args: argparse.Namespace) -> None:
    sim = Pbxsim(
        host=args.host,
        ami_port=args.ami_port,
        ari_port=args.ari_port,
        scenario=args.scenario,
        seed=args.seed,
        speed=args.speed,
    )
    await sim.start()
    logging.getLogger("pbxsim").info("pbxsim AMI on %s:%s", args.host, sim.ami_port)
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    """Parse arguments and run until interrupted."""
    parser = argparse.ArgumentParser(prog="pbxsim", description="Asterisk 22 stand-in (AMI + ARI)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--ami-port", type=int, default=5038)
    parser.add_argument("--ari-port", type=int, default=8088)
    parser.add_argument("--scenario", default="idle")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0)
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
