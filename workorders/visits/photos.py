"""Validation of uploaded visit photos and drawn signatures, with Pillow. Pure: bytes in, bytes out.

A photo is accepted when its content (never its name or declared type) is a JPEG, PNG or WebP image of at most
MAX_PHOTO_BYTES and MAX_PIXELS. HEIC is not accepted (Pillow cannot read it without a plug-in; phones' browsers
send JPEG from the camera input). The camera's EXIF time (DateTimeOriginal) and GPS position are read as data,
then the image is decoded, turned upright (EXIF orientation), scaled down to at most MAX_STORED_EDGE pixels and
re-encoded to JPEG — which leaves no metadata in the stored file — with a THUMBNAIL_EDGE thumbnail.

Anything else — not an image, an unknown format, truncated or corrupt data, too many bytes or pixels, a
decompression bomb (a small file declaring huge dimensions) — raises InvalidPhoto (`invalid_photo`), before
anything is written.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from rollout.errors import ApplicationError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_STORED_EDGE = 4096
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
DATA_URL = re.compile(r"^data:(?P<type>[\w/+.-]+);base64,(?P<data>[A-Za-z0-9+/=\s]+)$")


class InvalidPhoto(ApplicationError):
    code = "invalid_photo"
    default_message = "This file is not a photo we can accept."

    def __init__(self, message: str | None = None, *, field: str = "file"):
        super().__init__(message, field=field)


@dataclass(frozen=True)
class ProcessedImage:
    """A validated, re-encoded image: what to store, and what was read from the original."""

    content: bytes
    content_type: str
    thumbnail: bytes
    width: int
    height: int
    original_format: str
    sha256: str  # of the uploaded bytes
    taken_at: datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _open(data: bytes, *, max_bytes: int, max_pixels: int, formats=ACCEPTED_FORMATS, what: str = "photo"):
    """Identify and fully decode the image, refusing oversize, unknown, corrupt and bomb-like files."""
    if not data:
        raise InvalidPhoto(f"The {what} is empty.")
    if len(data) > max_bytes:
        raise InvalidPhoto(f"The {what} is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}.")
    labels = [FORMAT_LABELS.get(name, name) for name in formats]
    names = " or ".join(", ".join(labels).rsplit(", ", 1))
    with warnings.catch_warnings():
        # Pillow warns past its own pixel limit and refuses at twice that; both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(formats))
            width, height = image.size
            if width < 1 or height < 1:
                raise InvalidPhoto(f"The {what} has no pixels.")
            if width * height > max_pixels:
                raise InvalidPhoto(
                    f"The {what} is {width:,} × {height:,} pixels ({width * height / 1e6:.0f} MP); the limit is "
                    f"{max_pixels / 1e6:.0f} MP."
                )
            exif = image.getexif()
            if image.format == "JPEG" and max(width, height) > MAX_STORED_EDGE * 2:
                # Decode JPEGs at a reduced scale when they will be scaled down anyway (much faster).
                image.draft("RGB", (MAX_STORED_EDGE, MAX_STORED_EDGE))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise InvalidPhoto(f"The {what} declares more pixels than any camera takes; it was refused.") from exc
        except UnidentifiedImageError as exc:
            raise InvalidPhoto(f"The {what} is not a {names} image.") from exc
        except InvalidPhoto:
            raise
        except (OSError, SyntaxError, ValueError, TypeError, EOFError, MemoryError) as exc:
            raise InvalidPhoto(f"The {what} is damaged or incomplete and cannot be read.") from exc
    return image, exif


def _exif_datetime(exif) -> datetime | None:
    """DateTimeOriginal (the shutter time), with its EXIF offset when given, else read as UTC."""
    try:
        details = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the photo
        return None
    raw = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = details.get(ExifTags.Base.OffsetTimeOriginal)
    zone = UTC
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip("\x00 ")):
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return moment.replace(tzinfo=zone)


def _degrees(value, ref) -> Decimal | None:
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    decimal = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(decimal):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref).strip("\x00 ").upper() in ("S", "W"):
        decimal = -decimal
    return Decimal(str(decimal)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _exif_position(exif) -> tuple[Decimal | None, Decimal | None]:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # noqa: BLE001 - a broken GPS block is no reason to refuse the photo
        return None, None
    if not gps:
        return None, None
    latitude = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
    longitude = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (transparent PNG/WebP areas would turn black in a JPEG)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)  # no exif= argument: the stored file carries no metadata
    return out.getvalue()


def photo_process(data: bytes) -> ProcessedImage:
    """Validate an uploaded photo and re-encode it (see the module's docstring). Raises InvalidPhoto."""
    image, exif = _open(data, max_bytes=MAX_PHOTO_BYTES, max_pixels=MAX_PIXELS)
    original_format = image.format
    taken_at = _exif_datetime(exif)
    latitude, longitude = _exif_position(exif)
    try:
        upright = ImageOps.exif_transpose(image)
        upright = _flatten(upright)
        if max(upright.size) > MAX_STORED_EDGE:
            upright.thumbnail((MAX_STORED_EDGE, MAX_STORED_EDGE), Image.Resampling.LANCZOS)
        content = _jpeg(upright, JPEG_QUALITY)
        thumb = upright.copy()
        thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
        thumbnail = _jpeg(thumb, THUMBNAIL_QUALITY)
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        raise InvalidPhoto("The photo is damaged or incomplete and cannot be read.") from exc
    return ProcessedImage(
        content=content,
        content_type="image/jpeg",
        thumbnail=thumbnail,
        width=upright.width,
        height=upright.height,
        original_format=original_format,
        sha256=hashlib.sha256(data).hexdigest(),
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


def signature_decode(data_url: str) -> bytes:
    """The PNG bytes of a `data:image/png;base64,…` URL (a drawn signature). Raises InvalidPhoto."""
    match = DATA_URL.match((data_url or "").strip())
    if match is None:
        raise InvalidPhoto("Send the signature as a data:image/png;base64 URL.", field="signature")
    if match["type"].lower() != "image/png":
        raise InvalidPhoto(f"The signature must be a PNG image, not {match['type']}.", field="signature")
    if len(match["data"]) > MAX_SIGNATURE_BYTES * 4 // 3 + 16:
        raise InvalidPhoto(f"The signature is larger than {_megabytes(MAX_SIGNATURE_BYTES)}.", field="signature")
    try:
        return base64.b64decode("".join(match["data"].split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPhoto("The signature's data is not valid base64.", field="signature") from exc


def signature_process(data_url: str) -> ProcessedImage:
    """Validate a drawn signature like a photo (a real PNG, size and pixel limits) and re-encode it as a PNG
    with no metadata (line art stays sharp; transparency becomes white)."""
    data = signature_decode(data_url)
    try:
        image, _exif = _open(
            data, max_bytes=MAX_SIGNATURE_BYTES, max_pixels=MAX_SIGNATURE_PIXELS, formats=("PNG",), what="signature"
        )
    except InvalidPhoto as exc:
        raise InvalidPhoto(exc.message, field="signature") from exc
    try:
        flat = _flatten(image)
        out = io.BytesIO()
        flat.save(out, format="PNG", optimize=True)
        thumb = flat.copy()
        thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
        thumb_out = io.BytesIO()
        thumb.save(thumb_out, format="PNG")
    except (OSError, ValueError, SyntaxError, MemoryError) as exc:
        raise InvalidPhoto("The signature is damaged and cannot be read.", field="signature") from exc
    return ProcessedImage(
        content=out.getvalue(),
        content_type="image/png",
        thumbnail=thumb_out.getvalue(),
        width=flat.width,
        height=flat.height,
        original_format="PNG",
        sha256=hashlib.sha256(data).hexdigest(),
    )
