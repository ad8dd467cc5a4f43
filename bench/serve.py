"""Run one server under test on uvicorn with the settings every server shares.

    python -m bench.serve MODULE:APP --port 8801 [--workers 2] [--factory]

Every server in the benchmark goes through here so none of them gets a faster stack: the
sans-I/O websockets implementation, no per-message deflate, 64 KiB frames, 20 s pings, and
Nagle's algorithm off with any number of workers.
"""

from __future__ import annotations

import argparse

from bench.machine import raise_nofile
from odrchat import serving

UVICORN_SETTINGS: dict[str, object] = {
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    "ws_max_size": 65536,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
    "backlog": 4096,
    "timeout_graceful_shutdown": 5,
    "log_level": "warning",
    "access_log": False,
}


def main() -> None:
    """Parse the command line and run uvicorn until signalled."""
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--factory", action="store_true")
    args = parser.parse_args()
    raise_nofile()
    # odrchat's runner is plain uvicorn with TCP_NODELAY on every connection (see
    # odrchat/serving.py); every server under test gets it, the baselines included.
    serving.run(
        args.app,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        factory=args.factory,
        **UVICORN_SETTINGS,  # type: ignore[arg-type]
    )


if __name__ == "__main__":
    main()
