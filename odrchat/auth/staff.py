"""Staff administration: list accounts, invite staff, disable and enable, roles, forced resets.

Rules:
- A disabled account cannot log in, its sessions end at once, and every socket those sessions
  opened closes on every worker (the same `Revoked` path as a password reset). Enabling it again
  lets the person log in; nothing else comes back.
- A change of role also ends the person's sessions, so no socket keeps the powers of the old
  role (room access is decided when a socket subscribes).
- Invited staff get an account with no usable password and a one-time link (`#/reset/<token>`,
  purpose "invite") to choose one; nobody else ever knows it.
- A forced reset makes the old password stop working, ends every session and emails a link.
- The centre keeps at least one enabled administrator: the last one can be neither disabled
  nor given another role. Nobody disables themselves.
Every change is written to the audit log (by the admin, or by no one for the command line).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat import audit
from odrchat.auth import texts
from odrchat.auth.service import AuthService
from odrchat.auth.tables import OneTimeToken, User
from odrchat.auth.tokens import hash_token, new_token
from odrchat.errors import Conflict, Invalid, NotFound
from odrchat.i18n import DEFAULT, N_, texts_for
from odrchat.notify.outbox import enqueue
from odrchat.store.types import utcnow

INVITE_TTL = timedelta(days=7)
FORCED_RESET_TTL = timedelta(days=3)
NO_PASSWORD = "!"  # not an argon2 hash: no password matches it
ROLES = ("", "mediator", "admin")
LIST_LIMIT = 200


class StaffAdmin:
    """The administrator's (and the command line's) account actions."""

    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.db = auth.db
        self.settings = auth.settings

    async def users(self, search: str | None = None, role: str | None = None) -> list[User]:
        """Accounts by name or email (a part of either), staff first, at most 200."""
        stmt = select(User)
        if search:
            like = f"%{search.lower()}%"
            stmt = stmt.where(
                or_(
                    func.lower(col(User.email)).like(like),
                    func.lower(col(User.display_name)).like(like),
                )
            )
        if role == "staff":
            stmt = stmt.where(col(User.staff_role) != "")
        elif role is not None:
            stmt = stmt.where(col(User.staff_role) == ("" if role == "party" else role))
        stmt = stmt.order_by(col(User.staff_role) == "", col(User.display_name), col(User.id))
        async with self.db.read() as s:
            return list((await s.exec(stmt.limit(LIST_LIMIT))).all())

    async def invite(self, admin: User | None, email: str, name: str, role: str) -> User:
        """Create a mediator or admin account and email them a link to choose a password."""
        if role not in ("mediator", "admin"):
            raise Invalid(
                N_("Some fields need attention."), fields={"role": N_("mediator or admin")}
            )
        token = new_token()
        now = utcnow()
        async with self.db.session() as s:
            taken = (await s.exec(select(User).where(col(User.email) == email))).first()
            if taken is not None:
                raise Conflict(texts.EMAIL_TAKEN, code="email_taken")
            user = User(
                email=email,
                display_name=name,
                password_hash=NO_PASSWORD,
                staff_role=role,
                # The link proves the address when it is used (reset_password marks it).
            )
            s.add(user)
            try:
                await s.flush()
            except IntegrityError:
                raise Conflict(texts.EMAIL_TAKEN, code="email_taken") from None
            assert user.id is not None
            s.add(
                OneTimeToken(
                    purpose="invite",
                    token_hash=hash_token(token),
                    user_id=user.id,
                    expires_at=now + INVITE_TTL,
                )
            )
            link = f"{self.settings.public_url}/#/reset/{token}"
            t = texts_for(admin.language if admin else DEFAULT)
            inviter = admin.display_name if admin else t.gettext("The centre's administration")
            message = texts.staff_invitation(
                t, email, name, role, inviter, link, INVITE_TTL.days, self.settings.public_url
            )
            await enqueue(s, message)
            await _audit(s, admin, "user.invited", user, {"role": role})
        self.auth.wake_outbox()
        return user

    async def disable(self, admin: User | None, user_id: int) -> User:
        """Stop the account from logging in; end its sessions and close its sockets everywhere."""
        async with self.db.session() as s:
            user = await _account(s, user_id)
            if admin is not None and admin.id == user_id:
                raise Conflict(texts.NOT_YOURSELF, code="own_account")
            if user.is_admin and not user.disabled:
                await _keep_an_admin(s, user_id)
            if user.disabled_at is None:
                user.disabled_at = utcnow()
                s.add(user)
                await _audit(s, admin, "user.disabled", user, {})
        await self.auth.revoke_all(user_id)
        return user

    async def enable(self, admin: User | None, user_id: int) -> User:
        """Let a disabled account log in again."""
        async with self.db.session() as s:
            user = await _account(s, user_id)
            if user.disabled_at is not None:
                user.disabled_at = None
                s.add(user)
                await _audit(s, admin, "user.enabled", user, {})
        return user

    async def set_role(self, admin: User | None, user_id: int, role: str) -> User:
        """Make an account a mediator, an admin or neither; its sessions end."""
        if role not in ROLES:
            raise Invalid(
                N_("Some fields need attention."), fields={"role": N_("mediator, admin or none")}
            )
        async with self.db.session() as s:
            user = await _account(s, user_id)
            if user.staff_role == role:
                return user
            if user.is_admin and not user.disabled:
                await _keep_an_admin(s, user_id)
            before = user.staff_role
            user.staff_role = role
            s.add(user)
            await _audit(s, admin, "user.role_changed", user, {"from": before, "to": role})
        await self.auth.revoke_all(user_id)
        return user

    async def force_reset(self, admin: User | None, user_id: int) -> User:
        """The old password stops working, every session ends, and a link to choose a new one
        is emailed."""
        token = new_token()
        async with self.db.session() as s:
            user = await _account(s, user_id)
            if user.disabled:
                raise Conflict(texts.DISABLED, code="account_disabled")
            user.password_hash = NO_PASSWORD
            s.add(user)
            s.add(
                OneTimeToken(
                    purpose="reset",
                    token_hash=hash_token(token),
                    user_id=user_id,
                    expires_at=utcnow() + FORCED_RESET_TTL,
                )
            )
            link = f"{self.settings.public_url}/#/reset/{token}"
            t = texts_for(user.language)
            message = texts.forced_reset(
                t,
                user.email,
                user.display_name,
                link,
                FORCED_RESET_TTL.days,
                self.settings.public_url,
            )
            await enqueue(s, message)
            await _audit(s, admin, "user.password_reset_forced", user, {})
        await self.auth.revoke_all(user_id)
        self.auth.wake_outbox()
        return user


async def _account(s: AsyncSession, user_id: int) -> User:
    user = await s.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(texts.NO_ACCOUNT)
    return user


async def _keep_an_admin(s: AsyncSession, leaving: int) -> None:
    """Refuse if `leaving` is the last enabled administrator."""
    stmt = select(func.count()).where(
        col(User.staff_role) == "admin",
        col(User.disabled_at).is_(None),
        col(User.id) != leaving,
    )
    if not (await s.exec(stmt)).one():
        raise Conflict(texts.LAST_ADMIN, code="last_admin")


async def _audit(
    s: AsyncSession, admin: User | None, action: str, user: User, detail: dict[str, str]
) -> None:
    actor = admin.id if admin is not None else None
    by = {} if admin is not None else {"via": "command line"}
    await audit.record(s, actor, action, None, {"user_id": user.id, **detail, **by})
