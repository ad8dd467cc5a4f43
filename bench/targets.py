"""The baselines as targets: (a) bare Starlette broadcast, (b) python-socketio with Redis."""

from __future__ import annotations

from pathlib import Path

from bench.loadgen import ClientSpec
from bench.run import Target
from bench.servers import Server, free_port
from bench.topology import Topology, local_address


def mediation_clients(
    topo: Topology,
    room_ids: dict[int, int] | None = None,
    cookies: dict[int, str] | None = None,
) -> tuple[list[ClientSpec], dict[int, list[int]]]:
    """One socket per user, in the user's rooms; and each room's member sockets."""
    rid = room_ids or {r: r for r in topo.members}
    clients = [
        ClientSpec(
            u.index,
            tuple(rid[r] for r in u.rooms),
            local_address(u.index),
            cookies[u.index] if cookies else None,
        )
        for u in topo.users
    ]
    members = {rid[r]: list(users) for r, users in topo.members.items()}
    return clients, members


def idle_clients(
    topo: Topology,
    total: int,
    room_ids: dict[int, int] | None = None,
    cookies: dict[int, str] | None = None,
    per_user: int = 10,
) -> list[ClientSpec]:
    """`total` sockets, up to `per_user` per user (tabs), users taken round robin."""
    rid = room_ids or {r: r for r in topo.members}
    users = topo.users
    out: list[ClientSpec] = []
    for i in range(min(total, per_user * len(users))):
        u = users[i % len(users)]
        out.append(
            ClientSpec(
                i,
                tuple(rid[r] for r in u.rooms),
                local_address(i),
                cookies[u.index] if cookies else None,
            )
        )
    return out


def bare(topo: Topology, logs: Path) -> Target:
    """Baseline (a), one worker."""
    clients, members = mediation_clients(topo)
    server = Server(
        "bare", "bench.baselines.bare:app", free_port(), workers=1, log_path=logs / "bare.log"
    )
    return Target("bare", "bare", server, clients, members)


def sio(topo: Topology, logs: Path, workers: int = 2) -> Target:
    """Baseline (b): python-socketio + AsyncRedisManager, two workers."""
    clients, members = mediation_clients(topo)
    server = Server(
        "sio", "bench.baselines.sio:app", free_port(), workers=workers, log_path=logs / "sio.log"
    )
    return Target("sio", "sio", server, clients, members)
