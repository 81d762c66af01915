"""QR codes for packets: the cover's code opens the technician's visit page for the work order."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import qrcode
from qrcode.image.pil import PilImage


@lru_cache(maxsize=256)
def qr_png(url: str) -> bytes:
    """A PNG of a QR code for `url` (error correction M survives a creased or smudged printout)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=2, image_factory=PilImage
    )
    code.add_data(url)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(url: str) -> str:
    """The QR code as a data: URI, so that neither the PDF renderer nor the page fetches anything for it."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")
