"""Files made on the spot for the document tests: photos with GPS EXIF, PDFs, and impostors."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image
from PIL.PngImagePlugin import PngInfo

GPS_IFD = 0x8825
MODEL = 0x0110
ORIENTATION = 0x0112
CAMERA = "Pixel-Secret-Camera-9"


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    """EXIF saying where and with what a photo was taken (a party's home, say)."""
    exif = Image.Exif()
    exif[MODEL] = CAMERA
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (37.0, 46.0, 29.7)
    gps[3] = "W"
    gps[4] = (122.0, 25.0, 9.8)
    return exif


def jpeg_with_gps(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    image = Image.new("RGB", size, (180, 40, 40))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1]))  # left half blue: shows rotation
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif_with_gps(orientation), quality=95)
    return buf.getvalue()


def png_with_text() -> bytes:
    info = PngInfo()
    info.add_text("Location", "12 Home Street, Oakland")
    image = Image.new("RGBA", (30, 30), (0, 128, 0, 128))
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=info, exif=exif_with_gps())
    return buf.getvalue()


def heic_with_gps() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    image = Image.new("RGB", (64, 48), (10, 160, 90))
    buf = io.BytesIO()
    image.save(buf, "HEIF", exif=exif_with_gps(), quality=80)
    return buf.getvalue()


def pdf(text: str = "Lease, page 1", pages: int = 1) -> bytes:
    doc = FPDF()
    doc.set_compression(False)  # the text stays readable in the bytes (the scanner test)
    doc.set_font("helvetica", size=12)
    for number in range(pages):
        doc.add_page()
        doc.cell(text=text if number == 0 else f"{text} ({number + 1})")
    return bytes(doc.output())


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
