"""Login throttling that slows guessing without letting anyone lock a victim out for good.

Three counters over a sliding 15-minute window of failed logins:

- per account *and* address: after 5 failures, each further attempt waits twice as long as the
  last (1 s, 2 s, 4 s ... capped at 15 minutes). A guesser on one address slows down fast.
- per address: after 50 failures across all accounts, that address waits for its window to clear.
- per account: after 20 failures from all addresses, the account waits for its window to clear.

Failures age out of the window, so every block ends at most 15 minutes after the last failed
attempt; a victim can always reset their password (a reset clears the account's failures), and
the owner's own address is counted apart from an attacker's. The counters live in the database so
every worker sees the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from odrchat.auth.tables import LoginFailure

WINDOW = timedelta(minutes=15)
MAX_WAIT = 15 * 60


@dataclass(frozen=True, slots=True)
class Rule:
    prefix: str
    free: int
    exponential: bool


RULES = (
    Rule("pair", free=5, exponential=True),
    Rule("ip", free=50, exponential=False),
    Rule("acct", free=20, exponential=False),
)


def keys_for(email: str, ip: str) -> dict[str, str]:
    """The counter keys one login attempt touches."""
    return {"pair": f"pair:{email}|{ip}", "ip": f"ip:{ip}", "acct": f"acct:{email}"}


def wait_seconds(
    rule: Rule, failures: int, latest: datetime | None, oldest: datetime | None, now: datetime
) -> int:
    """How long to wait before the next attempt is even checked (0 = go ahead). Pure."""
    if failures < rule.free or latest is None or oldest is None:
        return 0
    if rule.exponential:
        wait = min(2 ** (failures - rule.free), MAX_WAIT)
        remaining = (latest + timedelta(seconds=wait) - now).total_seconds()
    else:
        remaining = (oldest + WINDOW - now).total_seconds()
    return max(0, int(remaining + 0.999))


async def retry_after(session: AsyncSession, email: str, ip: str, now: datetime) -> int:
    """Seconds until this email/address pair may try again (0 = now)."""
    keys = keys_for(email, ip)
    longest = 0
    for rule in RULES:
        row = (
            await session.exec(
                select(func.count(), func.max(LoginFailure.at), func.min(LoginFailure.at)).where(
                    col(LoginFailure.key) == keys[rule.prefix], col(LoginFailure.at) > now - WINDOW
                )
            )
        ).one()
        longest = max(longest, wait_seconds(rule, int(row[0]), row[1], row[2], now))
    return longest


async def record_failure(session: AsyncSession, email: str, ip: str, now: datetime) -> None:
    """Count one failed attempt against every key, and drop failures older than the window."""
    for key in keys_for(email, ip).values():
        session.add(LoginFailure(key=key, at=now))
    await session.exec(delete(LoginFailure).where(col(LoginFailure.at) < now - WINDOW))


async def clear_account(session: AsyncSession, email: str, ip: str | None = None) -> None:
    """Forget failures after a successful login (that pair) or a password reset (the account)."""
    if ip is None:
        await session.exec(
            delete(LoginFailure).where(
                (col(LoginFailure.key) == f"acct:{email}")
                | col(LoginFailure.key).startswith(f"pair:{email}|")
            )
        )
    else:
        await session.exec(
            delete(LoginFailure).where(col(LoginFailure.key) == f"pair:{email}|{ip}")
        )
