"""Server-made HTML escapes what users typed and lets through only the allowlist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import odrchat
from odrchat.notify.email import Attachment, build_email
from odrchat.notify.html import clean_html, escape_text, paragraphs_to_html

SCRIPT = "<script>alert(1)</script>"


def test_escape_text_neutralises_markup_and_quotes() -> None:
    assert escape_text(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert escape_text('a" onmouseover="x') == "a&quot; onmouseover=&quot;x"
    assert escape_text("Tom & Jerry's") == "Tom &amp; Jerry&#x27;s"


def test_paragraphs_are_escaped_wrapped_and_keep_line_breaks() -> None:
    out = paragraphs_to_html([f"Claimant: {SCRIPT}", "line one\nline two"])
    assert out == (
        "<p>Claimant: &lt;script&gt;alert(1)&lt;/script&gt;</p>\n<p>line one<br>line two</p>"
    )


@given(st.lists(st.text(), max_size=5))
def test_paragraphs_never_emit_a_tag_of_their_own_input(paragraphs: list[str]) -> None:
    """Whatever the text, the only tags in the output are the <p> and <br> we add."""
    out = paragraphs_to_html(paragraphs)
    assert "<" not in re.sub(r"</?p>|<br>", "", out)


def test_clean_html_strips_scripts_handlers_and_bad_schemes() -> None:
    dirty = (
        f'<p onclick="steal()">Hi <strong>there</strong>{SCRIPT}</p>'
        '<a href="javascript:alert(1)">x</a><a href="https://ok.example/">ok</a>'
        '<a href="mailto:m@example.org">mail</a><img src=x onerror=alert(1)>'
        "<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
    )
    out = clean_html(dirty)
    assert "<script" not in out and "onclick" not in out and "<img" not in out
    assert "javascript:" not in out
    assert '<a href="https://ok.example/">ok</a>' in out
    assert '<a href="mailto:m@example.org">mail</a>' in out
    assert "<p>Hi <strong>there</strong>" in out
    assert (
        "<table><thead><tr><th>A</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>" in out
    )


def test_build_email_escapes_every_user_text_in_the_html_part() -> None:
    message = build_email(
        to="party@example.org",
        subject=f"Case of {SCRIPT}",
        paragraphs=[f"Dear {SCRIPT},", f"Description: {SCRIPT}"],
        action=(f"Open {SCRIPT}", "https://odr.example/case/1?a=1&b=2"),
        footer=f"Mediator {SCRIPT}",
    )
    assert message.html is not None
    assert "<script" not in message.html
    assert message.html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 4
    assert '<a href="https://odr.example/case/1?a=1&amp;b=2">' in message.html
    # The plain-text part is not HTML: it carries the words as typed.
    assert f"Dear {SCRIPT}," in message.text
    assert "https://odr.example/case/1?a=1&b=2" in message.text
    assert message.subject == f"Case of {SCRIPT}"


def test_build_email_folds_newlines_out_of_the_subject() -> None:
    message = build_email("a@example.org", "Hello\r\nBcc: victim@example.org", ["x"])
    assert message.subject == "Hello Bcc: victim@example.org"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/relative", "data:text/html,x"])
def test_build_email_refuses_non_http_action_links(url: str) -> None:
    with pytest.raises(ValueError, match="http or https"):
        build_email("a@example.org", "s", ["x"], action=("Open", url))


def test_build_email_keeps_attachments() -> None:
    pdf = Attachment("agreement.pdf", "application/pdf", b"%PDF-1.7\n...")
    message = build_email("a@example.org", "s", ["x"], attachments=[pdf])
    assert message.attachments == (pdf,)


def test_html_module_is_the_only_importer_of_bleach() -> None:
    root = Path(odrchat.__file__).parent
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "bleach" or n.startswith("bleach.") for n in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers == {"notify/html.py"}
