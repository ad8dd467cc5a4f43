"""Which sessions just ended, as one value that every worker applies to its open sockets.

- logout: that one session (`only`);
- password change: every session of the account but the one that made the change (`kept`);
- password reset: every session of the account (neither).

A socket belongs to the session whose cookie opened it; it closes (4401) when that session ends,
and only then. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Revoked:
    user_id: int
    only: int | None = None
    kept: int | None = None

    def ends(self, session_id: int) -> bool:
        """Whether the session with this id is one of those that ended."""
        if self.only is not None:
            return session_id == self.only
        return session_id != self.kept

    def encode(self) -> bytes:
        """`user|only|kept` for the broker's control channel (empty for None)."""
        return b"%d|%s|%s" % (self.user_id, _num(self.only), _num(self.kept))

    @classmethod
    def decode(cls, raw: bytes) -> Revoked:
        user, only, kept = raw.split(b"|")
        return cls(int(user), int(only) if only else None, int(kept) if kept else None)


def _num(value: int | None) -> bytes:
    return b"" if value is None else str(value).encode()
