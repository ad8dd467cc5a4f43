"""The `odrchat` command: serve, migrate, create staff accounts, verify and purge records."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from odrchat.settings import Settings, SettingsError
from odrchat.store.db import Database

T = TypeVar("T")

WS_MAX_SIZE = 64 * 1024
PING_INTERVAL = 20.0
PING_TIMEOUT = 20.0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except SettingsError as exc:
        print(f"odrchat: configuration error: {exc}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odrchat",
        description="Online Dispute Resolution server: mediation rooms, offers and agreements.",
        epilog="Configuration comes from environment variables; see the README's table.",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the web server",
        description="Run the HTTP and WebSocket server with uvicorn.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (more than 1 needs REDIS_URL)"
    )
    serve.add_argument(
        "--demo",
        action="store_true",
        help="seed a demo case with four accounts (once) and print the logins",
    )
    serve.set_defaults(run=cmd_serve)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(title="db commands", metavar="COMMAND")
    up = db_sub.add_parser(
        "upgrade",
        help="apply pending migrations",
        description="Apply every pending schema migration to DATABASE_URL.",
    )
    up.set_defaults(run=cmd_db_upgrade)

    user = sub.add_parser("user", help="staff accounts", description="Manage staff accounts.")
    user_sub = user.add_subparsers(title="user commands", metavar="COMMAND")
    create = user_sub.add_parser(
        "create",
        help="create a mediator or admin account",
        description="Create a staff account (parties register themselves in the browser). "
        "The password is read from ODRCHAT_PASSWORD or asked for.",
    )
    create.add_argument("--role", choices=("mediator", "admin"), required=True)
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True, help="display name shown to parties")
    create.set_defaults(run=cmd_user_create)

    verify = sub.add_parser(
        "verify",
        help="check every transcript's hash chain",
        description="Walk every room's hash-chained log and print the first break of each "
        "broken room. Exit status 1 if any room is broken.",
    )
    verify.set_defaults(run=cmd_verify)
    purge = sub.add_parser(
        "purge",
        help="delete transcripts past retention",
        description="Delete the transcripts of cases closed more than RETENTION_DAYS ago, "
        "except cases under legal hold. Signed agreements and the audit log stay.",
    )
    purge.add_argument("--dry-run", action="store_true", help="only say what would be deleted")
    purge.set_defaults(run=cmd_purge)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    from odrchat import serving

    if not os.environ.get("PUBLIC_URL"):
        # Links in emails and the Origin check follow the address actually served; the
        # workers read the same environment.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        os.environ["PUBLIC_URL"] = f"http://{host}:{args.port}"
    settings = Settings.from_env()
    if args.workers > 1 and not settings.uses_redis:
        print(
            "odrchat: --workers > 1 needs REDIS_URL: the in-process broker cannot pass messages "
            "between worker processes. Set REDIS_URL (or REDIS_SENTINELS) or run one worker.",
            file=sys.stderr,
        )
        return 2
    options: dict[str, object] = {}
    if settings.log_format == "json":
        from odrchat import logs

        # This process (migrations, uvicorn's supervisor) logs JSON too; each worker sets up
        # the same in app_from_env, so uvicorn's own text logging config is left out.
        logs.configure("json")
        options["log_config"] = None
    asyncio.run(_prepare(settings, demo=args.demo))
    print(f"odrchat: serving on http://{args.host}:{args.port}", flush=True)
    with _metrics_dir(args.workers > 1 and settings.metrics_token is not None):
        serving.run(
            "odrchat.app:app_from_env",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            ws="websockets-sansio",
            ws_max_size=WS_MAX_SIZE,
            ws_per_message_deflate=False,
            ws_ping_interval=PING_INTERVAL,
            ws_ping_timeout=PING_TIMEOUT,
            timeout_graceful_shutdown=10,
            log_level="info",
            **options,
        )
    return 0


@contextlib.contextmanager
def _metrics_dir(shared: bool) -> Iterator[None]:
    """Workers on one socket share their metrics through prometheus-client's multiprocess
    mode: a directory of per-process files that must start empty (odrchat/metrics.py)."""
    if not shared:
        yield
        return
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="odrchat-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # a previous run's figures would be summed in
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(path, ignore_errors=True)


async def _prepare(settings: Settings, *, demo: bool) -> None:
    from odrchat.store.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
        if demo:
            from odrchat.demo import seed

            for line in await seed(settings, db):
                print(line, flush=True)
    finally:
        await db.dispose()


def _on_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Open the configured database, run `work` on it, close it."""

    async def run() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(run())


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from odrchat.store.migrate import upgrade

    _on_database(Settings.from_env(), upgrade)
    print("odrchat: database is up to date")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from odrchat.auth.passwords import Passwords
    from odrchat.auth.service import AuthService
    from odrchat.bodies import EMAIL, Password, Text
    from odrchat.errors import OdrError
    from odrchat.store.migrate import upgrade

    settings = Settings.from_env()
    password = os.environ.get("ODRCHAT_PASSWORD") or getpass.getpass("Password: ")
    try:
        email = Text(254, 3, pattern=EMAIL, lower=True).check(args.email)
        name = Text(120, 1).check(args.name)
        password = Password().check(password)
    except ValueError as exc:
        print(f"odrchat: {exc}", file=sys.stderr)
        return 2

    async def create(db: Database) -> int:
        try:
            await upgrade(db)
            auth = AuthService(settings, db, Passwords(settings.argon2))
            user = await auth.create_staff(email, name, password, args.role)
        except OdrError as exc:
            print(f"odrchat: {exc.message}", file=sys.stderr)
            return 1
        print(f"odrchat: created {args.role} {user.email} (id {user.id})")
        return 0

    return _on_database(settings, create)


def cmd_verify(args: argparse.Namespace) -> int:
    from odrchat.records import verify_all

    breaks = _on_database(Settings.from_env(), verify_all)
    for found in breaks:
        print(f"room {found.room_id}: seq {found.seq}: {found.reason}")
    if breaks:
        print(f"odrchat: {len(breaks)} room(s) fail verification", file=sys.stderr)
        return 1
    print("odrchat: every room's chain holds")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from odrchat.blobs import build_blob_store
    from odrchat.records import PurgeReport, purge

    settings = Settings.from_env()

    async def run(db: Database) -> PurgeReport:
        blobs = build_blob_store(settings.documents, db)
        await blobs.connect()
        try:
            return await purge(db, settings.retention, dry_run=args.dry_run, blobs=blobs)
        finally:
            await blobs.close()

    report = _on_database(settings, run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"odrchat: {verb} {report.events} event(s) in {report.rooms} room(s) of "
        f"{len(report.cases)} case(s); {len(report.held)} case(s) kept under legal hold; "
        f"{verb} {report.documents} shared document(s) with them"
    )
    return 0
