"""Servers under test: started in their own process group, always killed as a group."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from bench.machine import group_pids, total_cpu, total_rss_kib

PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parent.parent


class ServerFailed(RuntimeError):
    """The server did not come up, or died during the run."""


@dataclass(slots=True)
class Server:
    """One server under test: `python -m bench.serve APP` with the shared uvicorn settings."""

    name: str
    app: str
    port: int
    workers: int = 1
    factory: bool = False
    env: dict[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until every worker accepts connections."""
        argv = [
            sys.executable,
            "-m",
            "bench.serve",
            self.app,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        if self.factory:
            argv.append("--factory")
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"{self.name} exited with {self.proc.returncode}")
            # The supervisor binds first; wait for every worker process to exist too.
            expected = 1 if self.workers == 1 else self.workers + 1
            if _port_open(self.port) and len(self.pids()) >= expected:
                time.sleep(0.5)  # let the workers finish their lifespan startup
                return
            time.sleep(0.1)
        self.stop()
        raise ServerFailed(f"{self.name} did not start within {timeout:.0f} s")

    def pids(self) -> list[int]:
        """The server's processes (supervisor and workers)."""
        return group_pids(self.proc.pid) if self.proc else []

    def cpu(self) -> float:
        return total_cpu(self.pids())

    def rss_kib(self) -> int:
        return total_rss_kib(self.pids())

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after 10 s."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        if group_pids(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the benchmark dies, so no server outlives it."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
