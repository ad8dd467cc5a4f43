"""Every `error` frame the server can send is worded by the browser in every language.

No browser: these read the files. The server's `message` is English; static/js/socket.js
(errorText) shows the catalog's text for the frame's `code` (and, for a refusal by the
mediator's control, its `block`). So every code and block the server can send needs a catalog
key there, in every catalog, and docs/protocol.md lists exactly those codes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from odrchat import protocol as p

PACKAGE = Path(p.__file__).resolve().parent
JS = PACKAGE / "static" / "js"
I18N = PACKAGE / "static" / "i18n"
DOCS = PACKAGE.parent / "docs" / "protocol.md"


def wire_codes() -> dict[str, str]:
    """wire.js's E: {NAME: code}."""
    text = (JS / "wire.js").read_text()
    block = re.search(r"export const E = Object\.freeze\(\{(.*?)\}\);", text, re.S)
    assert block is not None
    return dict(re.findall(r'(\w+):\s*"(\w+)"', block.group(1)))


def texts(name: str) -> dict[str, str]:
    """One of socket.js's maps from a wire value to a catalog key."""
    text = (JS / "socket.js").read_text()
    block = re.search(rf"const {name} = Object\.freeze\(\{{(.*?)\}}\);", text, re.S)
    assert block is not None, name
    return dict(re.findall(r'\[?(?:E\.)?(\w+)\]?:\s*"([\w.]+)"', block.group(1)))


def test_the_browser_names_every_error_code_the_server_sends() -> None:
    assert set(wire_codes().values()) == p.ERROR_CODES


def test_every_error_code_and_block_has_a_text_in_every_catalog() -> None:
    names = wire_codes()
    by_code = {names[name]: key for name, key in texts("ERROR_TEXT").items()}
    by_block = texts("BLOCK_TEXT")
    assert set(by_code) == p.ERROR_CODES
    assert set(by_block) == p.BLOCKS
    keys = set(by_code.values()) | set(by_block.values())
    for path in sorted(I18N.glob("*.json")):
        catalog = json.loads(path.read_text())
        assert sorted(keys - set(catalog)) == [], path.name
        assert all(catalog[k].strip() for k in keys), path.name


def test_the_server_sends_only_the_codes_the_browser_knows() -> None:
    """Every code spelled where the server makes an error frame is a known one (an unknown
    one raises in protocol.error, so a test that reaches it fails too)."""
    made = re.compile(r"""(?:FrameError|p\.error|\berror)\(\s*"(\w+)\"""")
    spelled = {
        m.group(1)
        for path in (PACKAGE / "protocol.py", PACKAGE / "rooms" / "connection.py")
        for m in made.finditer(path.read_text())
    }
    assert spelled, "the pattern no longer finds the error frames"
    assert spelled <= p.ERROR_CODES
    with pytest.raises(ValueError):
        p.error("made_up", "Made up.")
    with pytest.raises(ValueError):
        p.error("forbidden", "No.", block="made_up")


def test_the_protocol_document_lists_exactly_these_codes() -> None:
    text = DOCS.read_text()
    section = text.split("## Error codes (`error.code`)", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert listed == p.ERROR_CODES
