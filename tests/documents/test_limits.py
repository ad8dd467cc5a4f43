"""Upload limits and names: each refusal has its own reason; names cannot lie about the type."""

from __future__ import annotations

import pytest

from odrchat.documents.limits import MAX_NAME, Usage, clean_caption, clean_name, refusal
from odrchat.settings import DocumentSettings

LIMITS = DocumentSettings(
    max_bytes=100, user_quota_bytes=1000, case_quota_bytes=1500, uploads_per_hour=3
)


@pytest.mark.parametrize(
    ("size", "usage", "expected"),
    [
        (100, Usage(0, 0, 0), None),
        (101, Usage(0, 0, 0), "too_big"),
        (10, Usage(0, 0, 3), "rate_limited"),
        (10, Usage(0, 0, 2), None),
        (100, Usage(900, 900, 0), None),
        (101 - 1, Usage(901, 901, 0), "user_quota"),
        (100, Usage(100, 1401, 0), "case_quota"),
        (100, Usage(100, 1400, 0), None),
    ],
)
def test_each_limit_refuses_with_its_own_reason(
    size: int, usage: Usage, expected: str | None
) -> None:
    assert refusal(size, usage, LIMITS) == expected


@pytest.mark.parametrize(
    ("raw", "extension", "expected"),
    [
        ("IMG_0042.HEIC", "jpg", "IMG_0042.jpg"),
        ("lease.pdf", "pdf", "lease.pdf"),
        ("lease.pdf", "png", "lease.png"),  # it was a PNG whatever the name said
        ("C:\\Users\\ana\\Desktop\\receipt.jpg", "jpg", "receipt.jpg"),
        ("../../etc/passwd", "pdf", "passwd.pdf"),
        ("invoice\u202efdp.exe", "jpg", "invoicefdp.exe.jpg"),
        ("report.final", "pdf", "report.final.pdf"),
        ("", "png", "document.png"),
        ("...", "pdf", "document.pdf"),
        ("fotografía del daño.jpeg", "jpg", "fotografía del daño.jpg"),
        ("tab\there\x00.png", "png", "tabhere.png"),
    ],
)
def test_names_end_in_what_is_stored_and_hide_nothing(
    raw: str, extension: str, expected: str
) -> None:
    assert clean_name(raw, extension) == expected


def test_long_names_are_cut_but_keep_their_extension() -> None:
    name = clean_name("x" * 500 + ".pdf", "pdf")
    assert len(name) <= MAX_NAME and name.endswith("xxx.pdf")


def test_captions_keep_line_breaks_and_lose_control_characters() -> None:
    assert clean_caption("  Water damage\r\nkitchen\u202e\x07  ") == "Water damage\nkitchen"
    assert len(clean_caption("a" * 2000)) == 500
