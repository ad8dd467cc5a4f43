"""Content checks: the kind comes from the bytes, images lose every trace of where they were
taken, and anything a browser could run is refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from odrchat.documents.content import Checked, Kind, Refused, check_file, sniff
from tests.documents import samples

MB = 1024 * 1024


def run(tmp_path: Path, data: bytes, **kwargs: int) -> tuple[bytes, Checked]:
    source, target = tmp_path / "upload.bin", tmp_path / "clean.bin"
    source.write_bytes(data)
    checked = check_file(source, target, max_bytes=kwargs.pop("max_bytes", 10 * MB), **kwargs)
    return target.read_bytes(), checked


def refused(tmp_path: Path, data: bytes, **kwargs: int) -> str:
    with pytest.raises(Refused) as info:
        run(tmp_path, data, **kwargs)
    assert not (tmp_path / "clean.bin").exists(), "a refused file left a cleaned copy"
    return info.value.code


def test_a_jpeg_with_gps_exif_comes_out_with_no_exif_at_all(tmp_path: Path) -> None:
    data = samples.jpeg_with_gps()
    with Image.open(io.BytesIO(data)) as original:  # the sample really carries a location
        assert original.getexif().get_ifd(samples.GPS_IFD)[1] == "N"
    out, checked = run(tmp_path, data)
    assert checked.content_type == "image/jpeg"
    with Image.open(io.BytesIO(out)) as clean:
        assert clean.format == "JPEG"
        assert len(clean.getexif()) == 0
        assert "exif" not in clean.info
    assert b"Exif\x00\x00" not in out and samples.CAMERA.encode() not in out


def test_the_orientation_is_applied_to_the_pixels_before_exif_goes(tmp_path: Path) -> None:
    """Orientation 6 (turn 90 degrees clockwise): a 40x20 photo must come out 20x40."""
    out, checked = run(tmp_path, samples.jpeg_with_gps((40, 20), orientation=6))
    with Image.open(io.BytesIO(out)) as clean:
        assert clean.size == (20, 40)
        top = clean.convert("RGB").getpixel((10, 5))
        assert isinstance(top, tuple) and top[2] > 150, "the blue half should now be on top"
    assert (checked.width, checked.height) == (20, 40)


def test_a_png_loses_its_text_chunks_and_exif_but_keeps_transparency(tmp_path: Path) -> None:
    data = samples.png_with_text()
    assert b"Home Street" in data
    out, checked = run(tmp_path, data)
    assert checked.content_type == "image/png"
    assert b"Home Street" not in out and b"eXIf" not in out and samples.CAMERA.encode() not in out
    with Image.open(io.BytesIO(out)) as clean:
        assert clean.mode == "RGBA" and clean.getpixel((1, 1)) == (0, 128, 0, 128)


def test_heic_becomes_a_jpeg_without_exif(tmp_path: Path) -> None:
    data = samples.heic_with_gps()
    assert sniff(data[:32]) is Kind.HEIF
    out, checked = run(tmp_path, data)
    assert checked.uploaded is Kind.HEIF
    assert checked.content_type == "image/jpeg"
    with Image.open(io.BytesIO(out)) as clean:
        assert clean.format == "JPEG" and clean.size == (64, 48)
        assert len(clean.getexif()) == 0
    assert samples.CAMERA.encode() not in out


def test_a_pdf_is_kept_byte_for_byte(tmp_path: Path) -> None:
    data = samples.pdf()
    out, checked = run(tmp_path, data)
    assert out == data
    assert checked.content_type == "application/pdf"


def test_the_kind_comes_from_the_bytes_never_the_name(tmp_path: Path) -> None:
    """A PNG called lease.pdf is a PNG; an HTML page called photo.jpg is refused."""
    source = tmp_path / "lease.pdf"
    buf = io.BytesIO()
    Image.new("RGB", (5, 5)).save(buf, "PNG")
    source.write_bytes(buf.getvalue())
    assert check_file(source, tmp_path / "out", max_bytes=MB).content_type == "image/png"
    (tmp_path / "photo.jpg").write_bytes(samples.HTML)
    with pytest.raises(Refused, match="wrong_type"):
        check_file(tmp_path / "photo.jpg", tmp_path / "out2", max_bytes=MB)


@pytest.mark.parametrize(
    "data",
    [samples.SVG, samples.HTML, samples.GIF, b"PK\x03\x04zipfile", b"MZ\x90\x00exe", b"hello"],
    ids=["svg", "html", "gif", "zip", "exe", "text"],
)
def test_anything_else_is_the_wrong_type(tmp_path: Path, data: bytes) -> None:
    assert refused(tmp_path, data) == "wrong_type"


def test_size_limit_empty_and_damaged_files(tmp_path: Path) -> None:
    assert refused(tmp_path, samples.pdf(), max_bytes=100) == "too_big"
    assert refused(tmp_path, b"") == "empty"
    assert refused(tmp_path, b"\xff\xd8\xff\xe0" + b"\x00" * 200) == "unreadable"
    assert refused(tmp_path, samples.pdf()[:-40]) == "unreadable"  # cut short: no %%EOF


def test_a_huge_canvas_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("1", (3000, 3000)).save(buf, "PNG")  # a tiny file claiming 9 megapixels
    assert len(buf.getvalue()) < 10_000
    assert refused(tmp_path, buf.getvalue(), max_pixels=1_000_000) == "too_many_pixels"


def test_an_image_gets_a_small_jpeg_thumbnail_of_its_clean_pixels(tmp_path: Path) -> None:
    source, target, thumb = tmp_path / "in", tmp_path / "out", tmp_path / "thumb"
    source.write_bytes(samples.png_with_text())  # RGBA with text chunks and EXIF
    checked = check_file(source, target, max_bytes=10 * MB, thumbnail=thumb)
    assert checked.thumbnail is True
    with Image.open(thumb) as small:
        assert small.format == "JPEG" and small.mode == "RGB"  # transparency flattened
        assert small.size == (30, 30)  # never enlarged
        assert len(small.getexif()) == 0 and "Location" not in small.info
    big = tmp_path / "big"
    big.write_bytes(samples.jpeg_with_gps((1000, 250)))
    check_file(big, target, max_bytes=10 * MB, thumbnail=thumb)
    with Image.open(thumb) as small:
        assert small.size == (320, 80)


def test_a_pdf_gets_its_pages_counted_and_no_thumbnail(tmp_path: Path) -> None:
    source, target, thumb = tmp_path / "in", tmp_path / "out", tmp_path / "thumb"
    source.write_bytes(samples.pdf(pages=4))
    checked = check_file(source, target, max_bytes=10 * MB, thumbnail=thumb)
    assert (checked.pages, checked.thumbnail) == (4, False)
    assert not thumb.exists()


def test_a_pdf_whose_page_tree_is_damaged_is_kept_without_a_count(tmp_path: Path) -> None:
    """Only the start and the end are required of a PDF; a page tree pypdf cannot read costs
    the count, not the upload (the bytes are stored as sent, as for any PDF)."""
    damaged = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nendobj\n%%EOF\n"
    out, checked = run(tmp_path, damaged)
    assert out == damaged and checked.pages is None
