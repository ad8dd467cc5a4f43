"""Accounts and sessions: the only place where auth rules, the store and the mailer meet.

Answers never reveal whether an email address has an account: register and forgot-password
always answer "check your email", and what the email says differs instead. Unknown accounts burn
the same argon2 time as known ones on login.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth import throttle
from odrchat.auth.passwords import Passwords
from odrchat.auth.revocation import Revoked
from odrchat.auth.tables import AuthSession, OneTimeToken, User
from odrchat.auth.texts import DISABLED
from odrchat.auth.tokens import hash_token, new_token
from odrchat.auth.validity import Stamp, needs_touch
from odrchat.errors import Conflict, Forbidden, Invalid, NotAuthenticated, TooMany
from odrchat.i18n import DEFAULT, N_, texts_for
from odrchat.notify import numbers
from odrchat.notify.email import build_email
from odrchat.notify.outbox import enqueue
from odrchat.notify.texts import with_settings_link
from odrchat.settings import Settings
from odrchat.store.batches import Batches
from odrchat.store.db import Database
from odrchat.store.types import utcnow

log = logging.getLogger("odrchat.auth")

# Sessions used (TOUCH_EVERY); revoked ones are left alone and not returned.
PG_TOUCH = (
    "UPDATE auth_sessions SET last_seen_at = $2"
    " WHERE id = ANY($1::int[]) AND revoked_at IS NULL RETURNING id"
)

VERIFY_TTL = timedelta(days=2)
RESET_TTL = timedelta(hours=1)
TOUCH_SLOTS = 2

RevokedHook = Callable[[Revoked], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LoggedIn:
    user: User
    token: str  # goes in the cookie, never stored


@dataclass(frozen=True, slots=True)
class Current:
    user: User
    session: AuthSession


class AuthService:
    """Register, verify, log in and out, reset and change passwords."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        passwords: Passwords,
        *,
        wake_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.passwords = passwords
        self.wake_outbox = wake_outbox
        self.revoked_hooks: list[RevokedHook] = []
        # Sockets that arrive together have their sessions touched in one UPDATE.
        self._touches: Batches[int, bool] = Batches(
            self._touch_batch, asyncio.Semaphore(TOUCH_SLOTS), 256
        )

    # -- registration ---------------------------------------------------------------------

    async def register(
        self,
        email: str,
        display_name: str,
        password: str,
        phone: str | None,
        *,
        verified: bool = False,
        language: str = DEFAULT,
    ) -> User | None:
        """Create an account and send a verification link; None if the address was taken.

        A phone number is not stored yet: a code is texted to it, and the number becomes the
        account's when the code is entered (odrchat.notify.numbers).
        """
        # Checked before looking the address up, so a bad number cannot tell taken from free.
        number = numbers.normalise(phone) if phone else None
        password_hash = await self.passwords.hash(password)
        now = utcnow()
        async with self.db.session() as s:
            existing = (await s.exec(select(User).where(User.email == email))).first()
            if existing is not None:
                t = texts_for(existing.language)
                await enqueue(
                    s,
                    build_email(
                        email,
                        t.gettext("Someone tried to register with your email address"),
                        [
                            t.gettext(
                                "Someone (perhaps you) tried to create an ODR account with this "
                                "address, but you already have one."
                            ),
                            t.gettext(
                                "If it was you, log in, or reset your password if you have "
                                "forgotten it. If it was not you, you can ignore this message."
                            ),
                        ],
                        (t.gettext("Log in"), f"{self.settings.public_url}/#/login"),
                        with_settings_link(t, self.settings.public_url),
                    ),
                )
                self.wake_outbox()
                return None
            user = User(
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                email_verified_at=now if verified else None,
                language=language,
            )
            s.add(user)
            try:
                await s.flush()
            except IntegrityError:
                raise Conflict(N_("That email address is already registered.")) from None
            if number is not None:
                await numbers.start(s, self.settings.secret_key, user, number, now=now)
            if not verified:
                await self._send_verification(s, user, now)
        self.wake_outbox()
        return user

    async def _send_verification(self, s: AsyncSession, user: User, now: datetime) -> None:
        token = new_token()
        assert user.id is not None
        s.add(
            OneTimeToken(
                purpose="verify",
                token_hash=hash_token(token),
                user_id=user.id,
                expires_at=now + VERIFY_TTL,
            )
        )
        t = texts_for(user.language)
        days = VERIFY_TTL.days
        await enqueue(
            s,
            build_email(
                user.email,
                t.gettext("Confirm your email address for Online Dispute Resolution"),
                [
                    t.gettext("Hello {name},", name=user.display_name),
                    t.gettext(
                        "Please confirm your email address so that we can send you updates "
                        "about your case."
                    ),
                ],
                (t.gettext("Confirm my email"), f"{self.settings.public_url}/#/verify/{token}"),
                with_settings_link(
                    t,
                    self.settings.public_url,
                    t.ngettext(
                        "This link works once and expires in {n} day.",
                        "This link works once and expires in {n} days.",
                        days,
                    ),
                ),
            ),
        )

    async def verify_email(self, token: str) -> User:
        """Mark the address verified; the token works once."""
        async with self.db.session() as s:
            row = await self._take_token(s, ("verify",), token)
            user = await s.get(User, row.user_id)
            assert user is not None
            if user.email_verified_at is None:
                user.email_verified_at = utcnow()
            return user

    async def _take_token(
        self, s: AsyncSession, purposes: tuple[str, ...], token: str
    ) -> OneTimeToken:
        now = utcnow()
        result = await s.exec(
            select(OneTimeToken)
            .where(
                OneTimeToken.token_hash == hash_token(token),
                col(OneTimeToken.purpose).in_(purposes),
            )
            .with_for_update()
        )
        row: OneTimeToken | None = result.first()
        if row is None or row.used_at is not None or row.expires_at <= now:
            raise Invalid(
                N_("This link is invalid, already used or expired."), code="invalid_token"
            )
        row.used_at = now
        return row

    # -- sessions ---------------------------------------------------------------------------

    async def login(self, email: str, password: str, ip: str, user_agent: str) -> LoggedIn:
        """Check the password (throttled) and open a fresh session."""
        now = utcnow()
        async with self.db.session() as s:
            wait = await throttle.retry_after(s, email, ip, now)
        if wait:
            raise TooMany(
                N_("Too many attempts. Please wait and try again, or reset your password."),
                retry_after=wait,
            )
        async with self.db.session() as s:
            user = (await s.exec(select(User).where(User.email == email))).first()
        if user is None:
            await self.passwords.burn(password)
            ok, rehash = False, False
        else:
            ok, rehash = await self.passwords.verify(user.password_hash, password)
        if not ok or user is None:
            async with self.db.session() as s:
                await throttle.record_failure(s, email, ip, now)
            raise NotAuthenticated(
                N_("That email and password do not match."), code="bad_credentials"
            )
        if user.disabled:
            # Told only to someone who knows the password: it reveals nothing to a guesser.
            raise Forbidden(DISABLED, code="account_disabled")
        new_hash = await self.passwords.hash(password) if rehash else None
        token = new_token()
        async with self.db.session() as s:
            await throttle.clear_account(s, email, ip)
            if new_hash is not None:
                await s.exec(
                    update(User).where(col(User.id) == user.id).values(password_hash=new_hash)
                )
            assert user.id is not None
            s.add(
                AuthSession(
                    token_hash=hash_token(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.settings.session_absolute,
                    ip=ip[:64],
                    user_agent=user_agent[:255],
                )
            )
        log.info("login user=%s", user.id)
        return LoggedIn(user=user, token=token)

    async def authenticate(self, token: str | None) -> Current | None:
        """The user behind a session cookie, or None if it is unknown, expired or revoked."""
        if not token or len(token) > 128:
            return None
        now = utcnow()
        # A read first: on SQLite a write session takes the database's one write lock, and
        # every request and socket comes through here.
        async with self.db.read() as s:
            result = await s.exec(
                select(AuthSession, User)
                .join(User, col(User.id) == col(AuthSession.user_id))
                .where(AuthSession.token_hash == hash_token(token))
            )
            row = result.first()
        if row is None:
            return None
        session, user = row
        assert session.id is not None and user.id is not None
        stamp = Stamp(
            session.id,
            user.id,
            session.expires_at,
            session.last_seen_at,
            session.revoked_at,
            user.disabled_at,
        )
        if not stamp.stands(now, self.settings.session_idle):
            return None
        if needs_touch(session.last_seen_at, now):
            if not await self.touch([session.id], now):
                return None  # revoked between the read and the touch
            session.last_seen_at = now
        return Current(user=user, session=session)

    async def admits(self, stamp: Stamp) -> bool:
        """Whether a session read elsewhere (an arriving socket's, `rooms.arrivals`) still
        stands; touched when due, with whatever other sockets are touched at the same time."""
        now = utcnow()
        if not stamp.stands(now, self.settings.session_idle):
            return False
        if needs_touch(stamp.last_seen_at, now):
            return await self._touches.ask(stamp.session_id)
        return True

    async def _touch_batch(self, session_ids: Sequence[int]) -> list[bool]:
        touched = await self.touch(list(session_ids), utcnow())
        return [i in touched for i in session_ids]

    async def touch(self, session_ids: list[int], now: datetime) -> set[int]:
        """Write down that these sessions were used; returns those still unrevoked (a session
        revoked between its read and this write must not be let in)."""
        if not self.db.is_sqlite:
            # One statement on the batch engine, without the ORM's bulk-update machinery (a
            # tenth of a reconnect wave's CPU went there); it repeats safely if retried.
            rows = await self.db.fetch_batch(PG_TOUCH, session_ids, now)
            return {int(r[0]) for r in rows}
        async with self.db.session() as s:
            touched = await s.exec(
                update(AuthSession)
                .where(
                    col(AuthSession.id).in_(session_ids),
                    col(AuthSession.revoked_at).is_(None),
                )
                .values(last_seen_at=now)
                .returning(col(AuthSession.id))
            )
            return set(touched.scalars().all())

    async def logout(self, current: Current) -> None:
        """Revoke this session and close its sockets everywhere (the user's other sessions
        and their sockets go on)."""
        async with self.db.session() as s:
            await s.exec(
                update(AuthSession)
                .where(col(AuthSession.id) == current.session.id)
                .values(revoked_at=utcnow())
            )
        assert current.user.id is not None
        await self._revoked(Revoked(current.user.id, only=current.session.id))

    async def revoke_all(self, user_id: int, *, except_session: int | None = None) -> None:
        """Revoke every session of a user but `except_session` (password change) or all of
        them (reset), and close their sockets everywhere."""
        async with self.db.session() as s:
            stmt = update(AuthSession).where(
                col(AuthSession.user_id) == user_id,
                col(AuthSession.revoked_at).is_(None),
            )
            if except_session is not None:
                stmt = stmt.where(col(AuthSession.id) != except_session)
            await s.exec(stmt.values(revoked_at=utcnow()))
        await self._revoked(Revoked(user_id, kept=except_session))

    async def _revoked(self, revoked: Revoked) -> None:
        for hook in self.revoked_hooks:
            await hook(revoked)

    # -- passwords --------------------------------------------------------------------------

    async def forgot_password(self, email: str) -> None:
        """Email a reset link if the account exists; answer the same either way."""
        now = utcnow()
        async with self.db.session() as s:
            user = (await s.exec(select(User).where(User.email == email))).first()
            if user is None or user.disabled:
                return
            token = new_token()
            assert user.id is not None
            s.add(
                OneTimeToken(
                    purpose="reset",
                    token_hash=hash_token(token),
                    user_id=user.id,
                    expires_at=now + RESET_TTL,
                )
            )
            t = texts_for(user.language)
            hours = int(RESET_TTL.total_seconds()) // 3600
            await enqueue(
                s,
                build_email(
                    user.email,
                    t.gettext("Reset your Online Dispute Resolution password"),
                    [
                        t.gettext("Hello {name},", name=user.display_name),
                        t.gettext(
                            "Someone asked to reset the password of your ODR account. If it was "
                            "you, choose a new password with the link below. If not, ignore this "
                            "message: your password stays as it is."
                        ),
                    ],
                    (
                        t.gettext("Choose a new password"),
                        f"{self.settings.public_url}/#/reset/{token}",
                    ),
                    with_settings_link(
                        t,
                        self.settings.public_url,
                        t.ngettext(
                            "This link works once and expires in {n} hour.",
                            "This link works once and expires in {n} hours.",
                            hours,
                        ),
                    ),
                ),
            )
        self.wake_outbox()

    async def reset_password(self, token: str, password: str) -> None:
        """Set a new password from a reset link; every session of the account ends."""
        new_hash = await self.passwords.hash(password)
        async with self.db.session() as s:
            # "invite": a new staff member choosing their first password (odrchat.auth.staff).
            row = await self._take_token(s, ("reset", "invite"), token)
            user = await s.get(User, row.user_id)
            assert user is not None
            if user.disabled:
                raise Forbidden(DISABLED, code="account_disabled")
            user.password_hash = new_hash
            if user.email_verified_at is None:
                user.email_verified_at = utcnow()  # the link proved the address
            await throttle.clear_account(s, user.email)
        await self.revoke_all(row.user_id)

    async def change_password(self, current: Current, old: str, new: str) -> None:
        """Change the password; every other session of the account ends."""
        ok, _ = await self.passwords.verify(current.user.password_hash, old)
        if not ok:
            raise Forbidden(N_("Your current password is not right."), code="bad_credentials")
        new_hash = await self.passwords.hash(new)
        async with self.db.session() as s:
            await s.exec(
                update(User).where(col(User.id) == current.user.id).values(password_hash=new_hash)
            )
        assert current.user.id is not None
        await self.revoke_all(current.user.id, except_session=current.session.id)

    async def check_password(self, user: User, password: str) -> bool:
        """Re-check a password (signing steps ask for it again)."""
        ok, _ = await self.passwords.verify(user.password_hash, password)
        return ok

    async def update_profile(self, user_id: int, changes: dict[str, object]) -> User:
        """Change display name, phone (by texted code), the optional-notification choice or
        the language."""
        async with self.db.session() as s:
            user = await s.get(User, user_id)
            assert user is not None
            if changes.get("display_name"):
                user.display_name = str(changes["display_name"])
            phone = changes.get("phone")
            if phone == "":
                await numbers.remove(s, user)
            elif phone is not None and numbers.normalise(str(phone)) != user.phone:
                # The number becomes the account's once the texted code is entered.
                await numbers.start(s, self.settings.secret_key, user, str(phone), now=utcnow())
            if changes.get("notify_optional") is not None:
                user.notify_optional = bool(changes["notify_optional"])
            if changes.get("language"):
                user.language = str(changes["language"])
            s.add(user)
        self.wake_outbox()  # a code text may be waiting
        return user

    async def create_staff(self, email: str, display_name: str, password: str, role: str) -> User:
        """Create a mediator or admin account (verified: staff are created by an operator)."""
        if role not in ("mediator", "admin"):
            raise Invalid(N_("role must be mediator or admin"))
        password_hash = await self.passwords.hash(password)
        async with self.db.session() as s:
            user = User(
                email=email,
                display_name=display_name,
                password_hash=password_hash,
                staff_role=role,
                email_verified_at=utcnow(),
            )
            s.add(user)
            try:
                await s.flush()
            except IntegrityError:
                raise Conflict(N_("That email address is already registered.")) from None
        return user
