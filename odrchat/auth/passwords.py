"""argon2id password hashing, off the event loop, with a concurrency cap.

Hashing costs ~100-200 ms and 64 MiB with the production profile, so it runs in a thread and at
most `concurrency` hashes run at once: a burst of logins queues instead of exhausting memory or
starving the event loop. Passwords over 1 KiB are refused by the request schema before they
reach this module (and again here, defensively).
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from odrchat.settings import Argon2Profile

MAX_PASSWORD_BYTES = 1024


class Passwords:
    """Hash and verify passwords with pinned argon2id parameters."""

    def __init__(self, profile: Argon2Profile, *, concurrency: int = 2) -> None:
        self.profile = profile
        self._hasher = PasswordHasher(
            time_cost=profile.time_cost,
            memory_cost=profile.memory_cost_kib,
            parallelism=profile.parallelism,
            hash_len=profile.hash_len,
            salt_len=profile.salt_len,
            type=Type.ID,
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        """The argon2id hash of `password`."""
        _check_length(password)
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash): rehash when the pinned parameters changed."""
        _check_length(password)
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    async def burn(self, password: str) -> None:
        """Spend the same time as a real check, for unknown accounts (no timing oracle)."""
        if self._dummy is None:
            self._dummy = await self.hash("not-a-real-password-0123456789")
        await self.verify(self._dummy, password[:MAX_PASSWORD_BYTES])

    def _verify(self, stored: str, password: str) -> tuple[bool, bool]:
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, self._hasher.check_needs_rehash(stored)


def _check_length(password: str) -> None:
    if len(password.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        raise ValueError("password longer than 1 KiB")
