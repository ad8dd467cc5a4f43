"""static/js/wire.js is the one browser module that spells the protocol's frame types.

No browser test: these read the files. Every other module imports the names (S.MESSAGE,
OFFER.EXPIRED, isOfferEvent) from wire.js; a type string anywhere else fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from odrchat import protocol as p

JS = Path(p.__file__).resolve().parent / "static" / "js"
STRING = re.compile(r"""(["'`])((?:\\.|(?!\1).)*)\1""")
COMMENT = re.compile(r"/\*.*?\*/|(?:^|(?<=\s))//[^\n]*", re.S)
# Frame types without a dot: spelled in a comparison with a `.type` they count too.
PLAIN = {"hello", "typing", "presence", "read", "error"}
TYPE_TEST = re.compile(r"""\.type\s*[!=]==?\s*(["'`])(\w+)\1""")
PREFIX_TEST = re.compile(
    r"""startsWith\(\s*["'`](chat|case|offer|agreement|document|room|rooms)\."""
)


def wire_types() -> set[str]:
    """Every dotted frame type wire.js names."""
    text = (JS / "wire.js").read_text()
    values = (m.group(2) for m in STRING.finditer(text))
    return {v for v in values if re.fullmatch(r"[a-z]+\.[a-z_.]+", v)}


def spelled(source: str, types: set[str]) -> list[str]:
    """The frame types `source` spells itself (comments aside)."""
    source = COMMENT.sub("", source)
    found = [m.group(2) for m in STRING.finditer(source) if m.group(2) in types]
    found += [m.group(0) for m in TYPE_TEST.finditer(source) if m.group(2) in PLAIN]
    found += [m.group(0) for m in PREFIX_TEST.finditer(source)]
    return found


def test_wire_js_names_every_frame_type_the_server_sends() -> None:
    types = wire_types()
    assert p.SERVER_TYPES - {"hello", "typing", "presence", "read", "error"} <= types
    text = (JS / "wire.js").read_text()
    for plain in ("hello", "typing", "presence", "read", "error"):
        assert f'"{plain}"' in text
    # Every stored event type the server posts (case., offer., agreement.) is named too.
    assert {"case.opened", "case.closed", "offer.expired", "agreement.filed"} <= types


def test_no_other_browser_module_spells_a_frame_type() -> None:
    types = wire_types()
    modules = sorted(p for p in JS.rglob("*.js") if p.name != "wire.js")
    assert any(m.parent.name == "views" for m in modules)
    found = {m.relative_to(JS).as_posix(): spelled(m.read_text(), types) for m in modules}
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(
    "source",
    [
        'const TEXT = { "case.opened": "The case was opened." };',
        'if (ev.type === "room.snapshot") return;',
        "if (f.type !== 'typing') return;",
        "const x = 1; // fine\nconst y = `agreement.signed`;",
        'const by = ev.type.startsWith("offer.") ? 1 : 0;',
    ],
)
def test_the_check_catches_a_spelled_type(source: str) -> None:
    assert spelled(source, wire_types())


def test_the_check_leaves_comments_and_dom_types_alone() -> None:
    source = '// a card for `offer.made`\nif (input.type === "checkbox") go("https://x.test");'
    assert spelled(source, wire_types()) == []
