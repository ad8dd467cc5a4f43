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
from typing import TYPE_CHECKING, TypeVar

from odrchat.settings import Settings, SettingsError
from odrchat.store.db import Database

if TYPE_CHECKING:
    from odrchat.auth.staff import StaffAdmin

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
    listing = user_sub.add_parser(
        "list",
        help="list accounts",
        description="List accounts (staff first): id, role, status, email and name.",
    )
    listing.add_argument("--search", help="a part of the name or email address")
    listing.add_argument(
        "--role", choices=("staff", "mediator", "admin", "party"), help="only this kind of account"
    )
    listing.set_defaults(run=cmd_user_list)
    disable = user_sub.add_parser(
        "disable",
        help="stop an account from logging in",
        description="Disable an account: it cannot log in, its sessions end and, with REDIS_URL "
        "set, its open connections close on every worker.",
    )
    disable.add_argument("email")
    disable.set_defaults(run=cmd_user_disable)
    enable = user_sub.add_parser(
        "enable",
        help="let a disabled account log in again",
        description="Enable a disabled account again.",
    )
    enable.add_argument("email")
    enable.set_defaults(run=cmd_user_enable)
    set_role = user_sub.add_parser(
        "set-role",
        help="make an account a mediator, an admin or neither",
        description="Change an account's staff role (none: a party or attorney account). "
        "The account's sessions end so that the new role applies at once.",
    )
    set_role.add_argument("email")
    set_role.add_argument("role", choices=("mediator", "admin", "none"))
    set_role.set_defaults(run=cmd_user_set_role)

    verify = sub.add_parser(
        "verify",
        help="check every transcript's hash chain and every shared document's bytes",
        description="Walk every room's hash-chained log and print the first break of each "
        "broken room, then read every shared document back from the document store and "
        "compare it with the SHA-256 its room event recorded. Exit status 1 if anything fails.",
    )
    verify.add_argument(
        "--chains-only", action="store_true", help="skip reading the documents' bytes back"
    )
    verify.set_defaults(run=cmd_verify)
    documents = sub.add_parser(
        "documents", help="document store upkeep", description="Document store upkeep."
    )
    documents_sub = documents.add_subparsers(title="documents commands", metavar="COMMAND")
    sweep = documents_sub.add_parser(
        "sweep",
        help="delete stored files that no document points at",
        description="Delete blobs in the document store that no shared document names and "
        "that are older than the grace period (uploads in flight are younger). Run it daily "
        "from cron or a systemd timer.",
    )
    sweep.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    sweep.add_argument(
        "--grace-hours", type=float, default=1.0, help="leave blobs younger than this (default 1)"
    )
    sweep.set_defaults(run=cmd_documents_sweep)
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


def _staff_command(
    args: argparse.Namespace, act: Callable[[StaffAdmin, int], Awaitable[str]]
) -> int:
    """Find the account named by `args.email`, run `act` on it with the staff service (its
    ended sessions ring every worker through Redis when REDIS_URL is set), print the result."""
    from sqlmodel import col, select

    from odrchat.auth.passwords import Passwords
    from odrchat.auth.service import AuthService
    from odrchat.auth.staff import StaffAdmin
    from odrchat.auth.tables import User
    from odrchat.errors import OdrError
    from odrchat.store.migrate import upgrade

    settings = Settings.from_env()
    email = args.email.strip().lower()

    async def run(db: Database) -> int:
        from odrchat.app import build_broker
        from odrchat.rooms.hub import ring_sessions_revoked
        from odrchat.store.meta import deployment_id

        await upgrade(db)
        async with db.read() as s:
            user = (await s.exec(select(User).where(col(User.email) == email))).first()
        if user is None or user.id is None:
            print(f"odrchat: no account has the address {email}", file=sys.stderr)
            return 1
        auth = AuthService(settings, db, Passwords(settings.argon2))
        broker = build_broker(settings, await deployment_id(db)) if settings.uses_redis else None
        if broker is not None:
            await broker.connect()
            auth.revoked_hooks.append(lambda revoked: ring_sessions_revoked(broker, revoked))
        try:
            print(f"odrchat: {await act(StaffAdmin(auth), user.id)}")
        except OdrError as exc:
            print(f"odrchat: {exc.message}", file=sys.stderr)
            return 1
        finally:
            if broker is not None:
                await broker.disconnect()
        return 0

    return _on_database(settings, run)


def cmd_user_list(args: argparse.Namespace) -> int:
    from odrchat.auth.passwords import Passwords
    from odrchat.auth.service import AuthService
    from odrchat.auth.staff import StaffAdmin
    from odrchat.store.migrate import upgrade

    settings = Settings.from_env()

    async def run(db: Database) -> int:
        await upgrade(db)
        staff = StaffAdmin(AuthService(settings, db, Passwords(settings.argon2)))
        users = await staff.users(args.search, args.role)
        print(f"{'id':>6}  {'role':<9} {'status':<9} email / name")
        for u in users:
            role, status = u.staff_role or "party", "disabled" if u.disabled else "active"
            print(f"{u.id:>6}  {role:<9} {status:<9} {u.email} / {u.display_name}")
        print(f"odrchat: {len(users)} account(s)")
        return 0

    return _on_database(settings, run)


def cmd_user_disable(args: argparse.Namespace) -> int:
    async def act(staff: StaffAdmin, user_id: int) -> str:
        user = await staff.disable(None, user_id)
        closed = (
            "every worker was told to close its connections"
            if staff.settings.uses_redis
            else "without REDIS_URL a running server cannot be reached: connections it has "
            "open stay until they drop, and cannot come back"
        )
        return f"disabled {user.email}: it cannot log in, its sessions ended; {closed}"

    return _staff_command(args, act)


def cmd_user_enable(args: argparse.Namespace) -> int:
    async def act(staff: StaffAdmin, user_id: int) -> str:
        user = await staff.enable(None, user_id)
        return f"enabled {user.email}: it can log in again"

    return _staff_command(args, act)


def cmd_user_set_role(args: argparse.Namespace) -> int:
    role = "" if args.role == "none" else args.role

    async def act(staff: StaffAdmin, user_id: int) -> str:
        user = await staff.set_role(None, user_id, role)
        return f"{user.email} is now {user.staff_role or 'not staff'}; its sessions ended"

    return _staff_command(args, act)


def cmd_verify(args: argparse.Namespace) -> int:
    from odrchat.blobs import build_blob_store
    from odrchat.documents.upkeep import BlobMismatch, verify_blobs
    from odrchat.records import verify_all
    from odrchat.rooms.log import ChainBreak

    settings = Settings.from_env()

    async def run(db: Database) -> tuple[list[ChainBreak], list[BlobMismatch] | None]:
        breaks = await verify_all(db)
        if args.chains_only:
            return breaks, None
        blobs = build_blob_store(settings.documents, db)
        await blobs.connect()
        try:
            return breaks, await verify_blobs(db, blobs)
        finally:
            await blobs.close()

    breaks, mismatches = _on_database(settings, run)
    for found in breaks:
        print(f"room {found.room_id}: seq {found.seq}: {found.reason}")
    for bad in mismatches or []:
        print(f"document {bad.document_id} (case {bad.case_id}): {bad.reason}")
    if breaks:
        print(f"odrchat: {len(breaks)} room(s) fail verification", file=sys.stderr)
    if mismatches:
        print(f"odrchat: {len(mismatches)} document(s) fail verification", file=sys.stderr)
    if breaks or mismatches:
        return 1
    print("odrchat: every room's chain holds")
    if mismatches is not None:
        print("odrchat: every shared document's bytes match their recorded SHA-256")
    return 0


def cmd_documents_sweep(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from odrchat.blobs import build_blob_store
    from odrchat.documents.upkeep import SweepReport, sweep_orphans

    settings = Settings.from_env()

    async def run(db: Database) -> SweepReport:
        blobs = build_blob_store(settings.documents, db)
        await blobs.connect()
        try:
            return await sweep_orphans(
                db, blobs, grace=timedelta(hours=args.grace_hours), dry_run=args.dry_run
            )
        finally:
            await blobs.close()

    report = _on_database(settings, run)
    for key in report.orphans:
        print(f"orphan {key}")
    verb = "would delete" if args.dry_run else "deleted"
    print(f"odrchat: {verb} {len(report.orphans)} orphan blob(s); {report.kept} in use")
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
