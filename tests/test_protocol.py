"""protocol.py is the one module that builds server frames (issue 19, "one wire module").

The scan reads every module of the package and fails on a frame built anywhere else: a dict
literal, `dict(type=...)` call or `x["type"] = ...` assignment whose type is a server frame
type or a stored event family, or any "type" key at all in a module that sends frames (the
rooms package and whatever imports the protocol). JSON Schema objects and HTTP documents
elsewhere ({"type": "string"}, an export line) are not frames and are left alone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from odrchat import protocol as p
from odrchat.rooms.log import StoredEvent

PACKAGE = Path(p.__file__).resolve().parent
# HTTP documents in the rooms package: not socket frames.
NOT_FRAMES = {"rooms/transcript.py"}


def _is_frame_type(node: ast.expr) -> bool:
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return node.value in p.SERVER_TYPES or node.value.startswith(p.STORED_PREFIXES)


def _sends_frames(rel: str, tree: ast.Module) -> bool:
    if rel in NOT_FRAMES:
        return False
    if rel.startswith("rooms/"):
        return True
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "odrchat"
            and any(a.name == "protocol" for a in node.names)
        ):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "odrchat.protocol":
            return True
        if isinstance(node, ast.Import) and any(a.name == "odrchat.protocol" for a in node.names):
            return True
    return False


def frames_built(rel: str, source: str) -> Iterator[str]:
    """Where `source` (the module at package path `rel`) builds a server frame itself."""
    tree = ast.parse(source)
    strict = _sends_frames(rel, tree)

    def suspicious(value: ast.expr) -> bool:
        return strict or _is_frame_type(value)

    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "type" and suspicious(value):
                    yield where
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "dict":
                for kw in node.keywords:
                    if kw.arg == "type" and suspicious(kw.value):
                        yield where
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Subscript)
                    and isinstance(target.slice, ast.Constant)
                    and target.slice.value == "type"
                    and suspicious(node.value)
                ):
                    yield where


def test_no_module_but_protocol_builds_a_server_frame() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "protocol.py":
            continue
        found.extend(frames_built(rel, path.read_text()))
    assert found == [], f"server frames built outside protocol.py: {found}"


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("rooms/hub.py", 'x = {"type": "presence", "room": 1}'),
        ("rooms/connection.py", "frame = {'type': kind}"),
        ("cases/service.py", 'f = dict(type="room.closed", room=1)'),
        ("offers/service.py", 'f = {}\nf["type"] = "offer.made"'),
        ("api.py", "from odrchat import protocol\nf = {'type': t}"),
    ],
)
def test_the_scan_catches_each_way_of_building_a_frame(rel: str, source: str) -> None:
    assert list(frames_built(rel, source))


def test_the_scan_leaves_schemas_and_documents_alone() -> None:
    assert not list(frames_built("schema.py", 'x = {"type": "string", "maxLength": 3}'))
    assert not list(frames_built("offers/service.py", 'x = {"type": ev.type, "seq": 1}'))


def test_builders_make_the_documented_shapes() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ev = StoredEvent(7, 3, "chat.message", at, 1, "m1", {"msg_id": "m1", "text": "hi"})
    assert p.event_frame(ev) == {
        "type": "chat.message",
        "room": 7,
        "seq": 3,
        "at": at.isoformat(),
        "msg_id": "m1",
        "text": "hi",
    }
    assert p.ack("m1", 7, 3, at, False) == (
        '{"type":"chat.ack","re":"m1","room":7,"seq":3,"at":"2026-01-02T03:04:05+00:00",'
        '"duplicate":false}'
    )
    assert p.history("h", 7, [ev], True).startswith('{"type":"room.history","re":"h","room":7,')
    assert '"retry_after_ms":201' in p.error("rate_limited", "x", re_id="a", retry_after_ms=201)
    assert p.hello(1, "Dana", []) == (
        '{"type":"hello","v":1,"user":{"id":1,"name":"Dana"},"rooms":[]}'
    )
