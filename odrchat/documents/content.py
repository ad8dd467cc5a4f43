"""What may be uploaded, decided from the bytes alone, and how it is made safe to share.

Pure and synchronous (file paths in, a file path out): async code runs it in a thread.

Rules, in plain words:

- The kind comes from the first bytes (magic numbers), never from the file name or the type the
  browser declared: JPEG, PNG, HEIC/HEIF and PDF are allowed, nothing else.
- Images are decoded and encoded again with Pillow, restricted to the decoder of the sniffed
  kind. Only pixels survive: EXIF (GPS position, camera serial, time), XMP, comments and text
  chunks are dropped; the EXIF orientation is applied to the pixels first, so a photo stays
  upright. HEIC/HEIF (iPhone photos) become JPEG, which every browser shows. The ICC colour
  profile is kept (colour data only).
- A picture of more than MAX_PIXELS is refused before it is decoded (a small file can claim a
  huge canvas: a decompression bomb).
- A PDF must start with `%PDF-` and end with `%%EOF`; it is stored byte for byte (no PDF
  library here can clean a PDF without risk of changing what it shows) and is only ever served
  as a download, never shown inline. Its pages are counted (pypdf reads the page tree only;
  nothing is rendered); a PDF whose page tree cannot be read is still accepted, with no count.
- An image also gets a thumbnail (at most THUMBNAIL_SIZE pixels a side, JPEG), made from the
  cleaned pixels, so the Documents list can show it without sending the whole photo to a phone.
- Nothing is ever stored as HTML, SVG or any type a browser would run.

Known gap: a PDF may still carry JavaScript or embedded files that a PDF reader acts on; the
scanning hook (documents.scan) is where a centre adds a check for that.
"""

from __future__ import annotations

import enum
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PyPdfError

__all__ = [
    "MAX_PIXELS",
    "THUMBNAIL_SIZE",
    "Checked",
    "Kind",
    "Refused",
    "check_file",
    "sniff",
]

MAX_PIXELS: Final = 50_000_000  # a 50 MP phone photo; decoded as RGB that is 150 MB of memory
JPEG_QUALITY: Final = 88
THUMBNAIL_SIZE: Final = 320  # pixels, the longer side: sharp on a phone's list at 2x density
THUMBNAIL_QUALITY: Final = 80
_HEIF_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
)


class Kind(enum.StrEnum):
    JPEG = "jpeg"
    PNG = "png"
    HEIF = "heif"
    PDF = "pdf"


@dataclass(frozen=True, slots=True)
class Stored:
    """How a kind is stored and served."""

    content_type: str
    extension: str


STORED_AS: Final[dict[Kind, Stored]] = {
    Kind.JPEG: Stored("image/jpeg", "jpg"),
    Kind.PNG: Stored("image/png", "png"),
    Kind.HEIF: Stored("image/jpeg", "jpg"),  # converted
    Kind.PDF: Stored("application/pdf", "pdf"),
}
_PILLOW_FORMATS: Final[dict[Kind, list[str]]] = {
    Kind.JPEG: ["JPEG"],  # also opens MPO (a JPEG with extra frames, as some phones write)
    Kind.PNG: ["PNG"],
    Kind.HEIF: ["HEIF"],
}


class Refused(Exception):
    """The file may not be shared; `code` names the reason (see documents.texts)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Checked:
    """A file that passed: what it was, and how the cleaned copy is stored."""

    uploaded: Kind
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    pages: int | None = None  # PDFs whose page tree could be read
    thumbnail: bool = False  # images: a thumbnail was written


def sniff(head: bytes) -> Kind | None:
    """The kind named by a file's first bytes (at least 12), or None when it is none we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return Kind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind.PNG
    if head.startswith(b"%PDF-"):
        return Kind.PDF
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return Kind.HEIF
    return None


def check_file(
    source: Path,
    target: Path,
    *,
    max_bytes: int,
    max_pixels: int = MAX_PIXELS,
    thumbnail: Path | None = None,
) -> Checked:
    """Check `source` and write the copy that may be stored to `target` (and, for an image,
    its thumbnail to `thumbnail` when given); raise Refused."""
    size = source.stat().st_size
    if size == 0:
        raise Refused("empty")
    if size > max_bytes:
        raise Refused("too_big")
    with source.open("rb") as f:
        kind = sniff(f.read(32))
    if kind is None:
        raise Refused("wrong_type")
    if kind is Kind.PDF:
        _check_pdf(source)
        shutil.copyfile(source, target)
        stored = STORED_AS[kind]
        return Checked(kind, stored.content_type, stored.extension, pages=count_pages(target))
    width, height = _reencode(source, target, kind, max_pixels, thumbnail)
    stored = STORED_AS[kind]
    return Checked(
        kind, stored.content_type, stored.extension, width, height, thumbnail=thumbnail is not None
    )


# What pypdf raises on a damaged or hostile file besides its own errors (it parses by hand).
_PDF_DAMAGE: Final = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
    OSError,
    AssertionError,
)


def count_pages(path: Path) -> int | None:
    """The number of pages in a PDF, or None when its page tree cannot be read (damaged,
    or encrypted with a password). Reads the page tree only; renders nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a damaged file's warnings are expected, not news
        try:
            reader = PdfReader(path, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                return None
            return len(reader.pages) or None
        except _PDF_DAMAGE:
            return None


def _check_pdf(source: Path) -> None:
    with source.open("rb") as f:
        f.seek(max(0, source.stat().st_size - 1024))
        tail = f.read()
    if b"%%EOF" not in tail:
        raise Refused("unreadable")


def _reencode(
    source: Path, target: Path, kind: Kind, max_pixels: int, thumbnail: Path | None
) -> tuple[int, int]:
    if kind is Kind.HEIF:
        _register_heif()
    try:
        with Image.open(source, formats=_PILLOW_FORMATS[kind]) as image:
            if image.width * image.height > max_pixels:
                raise Refused("too_many_pixels")
            image.load()
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            clean = _pixels_only(upright, kind)
            options: dict[str, object] = {"icc_profile": icc} if icc else {}
            if STORED_AS[kind].content_type == "image/jpeg":
                clean.save(target, "JPEG", quality=JPEG_QUALITY, optimize=True, **options)
            else:
                clean.save(target, "PNG", optimize=True, **options)
            if thumbnail is not None:
                _thumbnail(clean, thumbnail)
            return clean.width, clean.height
    except Image.DecompressionBombError as exc:
        raise Refused("too_many_pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise Refused("unreadable") from exc


def _thumbnail(clean: Image.Image, target: Path) -> None:
    """A small JPEG of the cleaned pixels (transparency over white)."""
    small = clean.copy()
    small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    if small.mode != "RGB":
        rgba = small.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        small = flat
    small.save(target, "JPEG", quality=THUMBNAIL_QUALITY, optimize=True)


def _pixels_only(image: Image.Image, kind: Kind) -> Image.Image:
    """A new image holding the pixels and nothing else (no info, no EXIF, no text chunks)."""
    jpeg = STORED_AS[kind].content_type == "image/jpeg"
    if jpeg and image.mode not in ("RGB", "L"):
        if image.mode in ("RGBA", "LA", "PA") or (
            image.mode == "P" and "transparency" in image.info
        ):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    elif not jpeg and image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
        image = image.convert("RGBA")
    clean = Image.new(image.mode, image.size)
    if image.mode == "P":
        palette = image.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    if not jpeg and "transparency" in image.info:  # a PNG's transparent colour is pixel data
        clean.info["transparency"] = image.info["transparency"]
    clean.paste(image)
    return clean


_heif_registered = False


def _register_heif() -> None:
    """Teach Pillow to read HEIC/HEIF (pillow-heif), once per process, only when needed."""
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True
