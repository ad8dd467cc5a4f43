"""Accounts, sessions and one-time tokens as stored rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from odrchat.store.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    """A person who can log in. `staff_role` is empty for parties and attorneys."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    display_name: str = Field(max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    password_hash: str = Field(max_length=255)
    staff_role: str = Field(default="", max_length=16)  # "", "mediator", "admin"
    email_verified_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    available: bool = Field(default=True)  # mediators: taking new cases
    notify_optional: bool = Field(default=True)  # optional notifications on
    # Channel per kind of notice (odrchat.notify.prefs), quiet hours for texts in minutes after
    # local midnight, and the person's IANA time zone (None: the centre's).
    notify_prefs: str = Field(
        default="{}", sa_column=Column(Text(), nullable=False, server_default="{}")
    )
    quiet_from: int | None = Field(default=None)
    quiet_until: int | None = Field(default=None)
    time_zone: str | None = Field(default=None, max_length=64)
    # Minutes news in a room waits, while the person is away, before a notice (one of
    # odrchat.notify.prefs.AWAY_DELAYS; checked by the API, not by the database).
    away_delay: int = Field(
        default=10, sa_column=Column(Integer(), nullable=False, server_default="10")
    )
    language: str = Field(default="en", max_length=16)  # a catalog's code (odrchat.i18n)
    disabled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Mediators' profile, read by the assignment suggestion (odrchat/cases/staffing.py):
    # comma-separated language codes and case kinds (empty: any kind), and a cap on cases in
    # mediation (None: no cap).
    languages: str = Field(default="", max_length=200)
    case_kinds: str = Field(default="", max_length=200)
    max_active_cases: int | None = Field(default=None)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

    @property
    def is_admin(self) -> bool:
        return self.staff_role == "admin"

    @property
    def is_mediator(self) -> bool:
        return self.staff_role in ("mediator", "admin")

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


class AuthSession(SQLModel, table=True):
    """A server-side login session; the cookie holds a token whose SHA-256 is stored here."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)


class OneTimeToken(SQLModel, table=True):
    """Single-use, expiring tokens for email verification and password reset (stored hashed)."""

    __tablename__ = "one_time_tokens"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=16)  # "verify" | "reset" | "invite" (staff: first password)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class LoginFailure(SQLModel, table=True):
    """One failed login, kept for the throttle window only (per account and per address)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)  # "email:<address>" or "ip:<address>"
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
