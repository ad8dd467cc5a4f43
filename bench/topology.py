"""The shape of the load: users and rooms as in real mediations.

Each case has a joint room (two parties and the mediator) and one private room per party (that
party and the mediator). A mediator carries about 10 rooms, so 3 or 4 cases at once. Rooms and
users are numbered here; odrchat's seeding maps them onto the ids its database hands out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ROOMS_PER_CASE = 3


@dataclass(frozen=True, slots=True)
class User:
    index: int
    role: str  # "party" or "mediator"
    rooms: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Case:
    index: int
    parties: tuple[int, int]
    mediator: int
    joint: int
    private: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Topology:
    users: tuple[User, ...]
    cases: tuple[Case, ...]
    members: dict[int, tuple[int, ...]]  # room -> user indices

    @property
    def rooms(self) -> int:
        return len(self.members)


def mediation(cases: int, rooms_per_mediator: int = 10) -> Topology:
    """`cases` mediations; each mediator gets about `rooms_per_mediator` rooms."""
    mediators = max(1, math.ceil(cases * ROOMS_PER_CASE / rooms_per_mediator))
    parties = 2 * cases
    # Mediators come after the parties, so user index == party number for parties.
    rooms_of: dict[int, list[int]] = {u: [] for u in range(parties + mediators)}
    members: dict[int, tuple[int, ...]] = {}
    built: list[Case] = []
    for c in range(cases):
        a, b, m = 2 * c, 2 * c + 1, parties + c % mediators
        joint, pa, pb = ROOMS_PER_CASE * c, ROOMS_PER_CASE * c + 1, ROOMS_PER_CASE * c + 2
        members[joint] = (a, b, m)
        members[pa] = (a, m)
        members[pb] = (b, m)
        for user, room in ((a, joint), (b, joint), (m, joint), (a, pa), (m, pa), (b, pb), (m, pb)):
            rooms_of[user].append(room)
        built.append(Case(c, (a, b), m, joint, (pa, pb)))
    users = tuple(
        User(u, "party" if u < parties else "mediator", tuple(rooms_of[u]))
        for u in range(parties + mediators)
    )
    return Topology(users=users, cases=tuple(built), members=members)


def local_address(client: int, per_address: int = 150) -> str:
    """A loopback source address for a client socket, `per_address` sockets to each.

    odrchat refuses a 201st socket from one address, as it would from one office NAT; the load
    comes from many loopback addresses so the benchmark measures capacity, not that guard.
    """
    n = client // per_address
    return f"127.0.{1 + n // 250}.{2 + n % 250}"
