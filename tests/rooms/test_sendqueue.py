"""A socket's send queue: bounded, in order, and the subscriptions at its front taken together."""

from __future__ import annotations

from odrchat import protocol as p
from odrchat.rooms.sendqueue import Live, Outbox, Replay, Send


def _sub(room: int) -> Replay:
    frame = p.parse(f'{{"type": "room.subscribe", "id": "s{room}", "room": {room}}}')
    assert isinstance(frame, p.Subscribe)
    return Replay(frame)


async def test_the_replays_at_the_front_are_taken_together_and_nothing_after_them() -> None:
    box = Outbox(10)
    for item in (_sub(1), _sub(2), _sub(3), Live(1, "x"), _sub(4)):
        assert box.put(item)
    first = await box.get()
    assert first == _sub(1)
    assert box.take_replays() == [_sub(2), _sub(3)]
    assert box.take_replays() == []  # a live frame is next: it keeps its place
    assert await box.get() == Live(1, "x")
    assert box.take_replays() == [_sub(4)]
    assert box.take_replays() == []


async def test_a_full_outbox_refuses_and_keeps_what_it_holds() -> None:
    box = Outbox(2)
    assert box.put(Send("a")) and box.put(Send("b"))
    assert not box.put(Send("c"))
    assert [await box.get() for _ in range(2)] == [Send("a"), Send("b")]
