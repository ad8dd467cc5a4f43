"""The `odrchat` command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def odrchat(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PUBLIC_URL")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "odrchat", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("serve",),
        ("db",),
        ("db", "upgrade"),
        ("user", "create"),
        ("user", "list"),
        ("user", "disable"),
        ("user", "set-role"),
    ],
)
def test_help_is_useful(args: tuple[str, ...]) -> None:
    out = odrchat(*args, "--help")
    assert out.returncode == 0
    assert "usage: odrchat" in out.stdout and len(out.stdout.splitlines()) >= 4


def test_many_workers_need_redis(tmp_path: Path) -> None:
    out = odrchat("serve", "--workers", "2", cwd=tmp_path)
    assert out.returncode == 2 and "REDIS_URL" in out.stderr


def test_db_upgrade_and_user_create(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/odr.sqlite3", "SECRET_KEY": "s" * 40}
    up = odrchat("db", "upgrade", env=env, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    made = odrchat(
        "user",
        "create",
        "--role",
        "mediator",
        "--email",
        "Mo@Example.org",
        "--name",
        "Mo Mediator",
        env={**env, "ODRCHAT_PASSWORD": "a long password"},
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert "created mediator mo@example.org" in made.stdout
    again = odrchat(
        "user",
        "create",
        "--role",
        "admin",
        "--email",
        "mo@example.org",
        "--name",
        "Mo",
        env={**env, "ODRCHAT_PASSWORD": "a long password"},
        cwd=tmp_path,
    )
    assert again.returncode == 1 and "already registered" in again.stderr
    weak = odrchat(
        "user",
        "create",
        "--role",
        "admin",
        "--email",
        "x@example.org",
        "--name",
        "X",
        env={**env, "ODRCHAT_PASSWORD": "short"},
        cwd=tmp_path,
    )
    assert weak.returncode == 2


def test_user_list_disable_enable_and_set_role(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/odr.sqlite3", "SECRET_KEY": "s" * 40}
    with_pw = {**env, "ODRCHAT_PASSWORD": "a long password"}
    for role, email in (("admin", "ada@example.org"), ("mediator", "mo@example.org")):
        made = odrchat(
            "user", "create", "--role", role, "--email", email, "--name", email[:3].title(),
            env=with_pw, cwd=tmp_path,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr

    listed = odrchat("user", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[1:-1]]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("admin", "active", "ada@example.org"),
        ("mediator", "active", "mo@example.org"),
    ]

    off = odrchat("user", "disable", "MO@example.org", env=env, cwd=tmp_path)
    assert off.returncode == 0 and "disabled mo@example.org" in off.stdout
    assert "without REDIS_URL" in off.stdout  # honest: a running server was not reached
    listed = odrchat("user", "list", "--search", "mo", env=env, cwd=tmp_path)
    assert "mediator  disabled  mo@example.org" in listed.stdout
    assert "ada@" not in listed.stdout

    last = odrchat("user", "disable", "ada@example.org", env=env, cwd=tmp_path)
    assert last.returncode == 1 and "at least one administrator" in last.stderr
    nobody = odrchat("user", "enable", "who@example.org", env=env, cwd=tmp_path)
    assert nobody.returncode == 1 and "no account" in nobody.stderr

    on = odrchat("user", "enable", "mo@example.org", env=env, cwd=tmp_path)
    assert on.returncode == 0 and "can log in again" in on.stdout
    promoted = odrchat("user", "set-role", "mo@example.org", "admin", env=env, cwd=tmp_path)
    assert promoted.returncode == 0 and "is now admin" in promoted.stdout
    demoted = odrchat("user", "set-role", "ada@example.org", "none", env=env, cwd=tmp_path)
    assert demoted.returncode == 0 and "is now not staff" in demoted.stdout
    listed = odrchat("user", "list", "--role", "staff", env=env, cwd=tmp_path)
    assert "mo@example.org" in listed.stdout and "ada@example.org" not in listed.stdout


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    out = odrchat("db", "upgrade", env={"ODRCHAT_ENV": "production"}, cwd=tmp_path)
    assert out.returncode == 2 and "SECRET_KEY" in out.stderr


def test_serve_demo_on_embedded_defaults(tmp_path: Path) -> None:
    """The README's first command: no environment at all, a demo case, /healthz answers."""
    import socket
    import urllib.request

    from tests.helpers import wait_until_served

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("REDIS_URL", "DATABASE_URL", "PUBLIC_URL", "SECRET_KEY")
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "odrchat", "serve", "--demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_served(proc, f"http://127.0.0.1:{port}/healthz")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            assert r.status == 200
        assert (tmp_path / "var" / "odrchat.sqlite3").exists()
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "demo case created" in output
    assert "paula.plaintiff@example.org" in output and "demo-plaintiff-1" in output
