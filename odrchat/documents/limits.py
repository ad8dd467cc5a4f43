"""Upload limits and document names: pure rules, no I/O.

- `refusal` decides, from the size of a file and what has been stored already, whether one more
  upload is allowed: one file at most `max_bytes`; at most `uploads_per_hour` uploads per person;
  a person's originals in one case at most `user_quota_bytes`; a case's originals at most
  `case_quota_bytes`. Copies shared into the joint room reuse their original's bytes and count
  for nothing.
- `clean_name` makes the name a document is shown and downloaded under: the last path part of
  what the browser sent, without control or direction-changing characters (an "invoice‮fdp.exe"
  must not read as a PDF), at most MAX_NAME characters, ending in the extension of what is
  actually stored (a HEIC photo is stored as JPEG and named .jpg).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

from odrchat.settings import DocumentSettings

__all__ = ["MAX_CAPTION", "MAX_NAME", "Usage", "clean_caption", "clean_name", "refusal"]

MAX_NAME: Final = 120
MAX_CAPTION: Final = 500
_KNOWN_SUFFIXES: Final = frozenset({"jpg", "jpeg", "png", "heic", "heif", "pdf"})


@dataclass(frozen=True, slots=True)
class Usage:
    """What is already stored: a person's and the case's originals, and the person's recent
    uploads (the last hour)."""

    user_bytes: int
    case_bytes: int
    recent_uploads: int


def refusal(size: int, usage: Usage, limits: DocumentSettings) -> str | None:
    """The refusal code for one more upload of `size` bytes, or None when it may be stored."""
    if size > limits.max_bytes:
        return "too_big"
    if usage.recent_uploads >= limits.uploads_per_hour:
        return "rate_limited"
    if usage.user_bytes + size > limits.user_quota_bytes:
        return "user_quota"
    if usage.case_bytes + size > limits.case_quota_bytes:
        return "case_quota"
    return None


def _printable(text: str) -> str:
    # Category C: controls, format characters (bidi overrides, zero-width), unassigned.
    return "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))


def clean_name(raw: str, extension: str) -> str:
    """The name to show and download under, ending in `.extension`."""
    name = _printable(unicodedata.normalize("NFC", raw)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.strip().rpartition(".")
    if not dot:
        stem = suffix
    elif suffix.lower() not in _KNOWN_SUFFIXES:
        stem = name.strip()
    stem = stem.strip(" .")[: MAX_NAME - len(extension) - 1].strip(" .") or "document"
    return f"{stem}.{extension}"


def clean_caption(raw: str) -> str:
    """A caption as stored: printable characters and line breaks, at most MAX_CAPTION."""
    lines = (_printable(line) for line in unicodedata.normalize("NFC", raw).splitlines())
    return "\n".join(lines).strip()[:MAX_CAPTION]
