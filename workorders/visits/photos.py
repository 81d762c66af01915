"""Validation of uploaded visit photos and drawn signatures, with Pillow. Pure: bytes in, bytes out.

A photo is accepted when its content (never its name or declared type) is a JPEG, PNG or WebP image of at most
MAX_PHOTO_BYTES and MAX_PIXELS. HEIC is not accepted (Pillow cannot read it without a plug-in; phones' browsers
send JPEG from the camera input). The camera's EXIF time (DateTimeOriginal) and GPS position are read as data,
then the image is decoded, turned upright (EXIF orientation), scaled down to at most MAX_STORED_EDGE pixels and
re-encoded to JPEG — which leaves no metadata in the stored file — with a THUMBNAIL_EDGE thumbnail.

Memory is bounded before anything is decoded: the header gives the pixel count, and the memory the decoded pixels
will take (Pillow keeps 4 bytes per RGB pixel; WebP is decoded into buffers, then copied, 4 times over) must fit
MAX_DECODED_BYTES. A JPEG is decoded at 1/2, 1/4 or 1/8 scale by the library itself (`draft`) until it fits, so
every camera JPEG up to MAX_PIXELS is accepted; a PNG or WebP that would not fit is refused. At most
IMAGE_WORKERS images are decoded at once per process (a semaphore); others wait up to IMAGE_WAIT_SECONDS, then get
503 `server_busy`. The peak memory per upload is measured by `python -m bench photos`.

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
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from rollout.errors import ApplicationError
from rollout.geo import coordinate_in_range

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
FORMAT_LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
MAX_PHOTO_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_STORED_EDGE = 4096
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
#: The most memory the decoded pixels of one image may take (see the module's docstring).
MAX_DECODED_BYTES = 64 * 1024 * 1024
#: Bytes per pixel Pillow keeps in memory, per mode (RGB is stored padded to 4 bytes).
PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "LA": 4, "La": 4, "PA": 4}
#: Formats whose decoder fills its own buffer before Pillow copies it into the image (twice the memory).
BUFFERED_DECODERS = {"WEBP": 4}
IMAGE_WAIT_SECONDS = 30
MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
DATA_URL = re.compile(r"^data:(?P<type>[\w/+.-]+);base64,(?P<data>[A-Za-z0-9+/=\s]+)$")


class InvalidPhoto(ApplicationError):
    code = "invalid_photo"
    default_message = "This file is not a photo we can accept."

    def __init__(self, message: str | None = None, *, field: str = "file"):
        super().__init__(message, field=field)


class ImageWorkBusy(ApplicationError):
    """Every image slot of this process stayed busy for IMAGE_WAIT_SECONDS: try again shortly."""

    code = "server_busy"
    status_code = 503
    default_message = "The server is busy processing other photos; send this one again in a moment."


_image_slots = threading.BoundedSemaphore(getattr(settings, "TUTTI_IMAGE_WORKERS", 2))


@contextmanager
def image_slot():
    """Hold one of this process's image slots while decoding and encoding (bounds concurrent image memory)."""
    if not _image_slots.acquire(timeout=IMAGE_WAIT_SECONDS):
        raise ImageWorkBusy()
    try:
        yield
    finally:
        _image_slots.release()


def decoded_bytes(image: Image.Image) -> int:
    """The memory the decoded pixels of `image` (opened, not loaded; after any draft) will take."""
    width, height = image.size
    per_pixel = PIXEL_BYTES.get(image.mode, 4)
    return width * height * per_pixel * BUFFERED_DECODERS.get(image.format, 1)


def _fit_decoded_size(image: Image.Image, *, what: str) -> None:
    """Make the decode fit MAX_DECODED_BYTES, before decoding: a JPEG is drafted at a reduced scale (the library
    decodes 1/2, 1/4 or 1/8 of each edge directly); any other image that would not fit is refused."""
    width, height = image.size
    if image.format == "JPEG":
        if max(width, height) > MAX_STORED_EDGE * 2:
            # Decode at a reduced scale when it will be scaled down anyway (much faster, less memory).
            image.draft("RGB", _scaled(width, height, MAX_STORED_EDGE))
        for divisor in (2, 4, 8):
            if decoded_bytes(image) <= MAX_DECODED_BYTES:
                break
            image.draft("RGB", (max(1, width // divisor), max(1, height // divisor)))
    if decoded_bytes(image) > MAX_DECODED_BYTES:
        raise InvalidPhoto(
            f"The {what} is {width:,} × {height:,} pixels, too many to decode as {FORMAT_LABELS.get(image.format)} "
            f"(at most {MAX_DECODED_BYTES // 2**20} MB decoded); send it as a JPEG, or smaller."
        )


def _scaled(width: int, height: int, edge: int) -> tuple[int, int]:
    ratio = edge / max(width, height)
    return max(1, int(width * ratio)), max(1, int(height * ratio))


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
            _fit_decoded_size(image, what=what)  # before getexif(): Pillow decodes a PNG to find its EXIF
            exif = image.getexif()
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
    if not (coordinate_in_range(latitude, "latitude") and coordinate_in_range(longitude, "longitude")):
        return None, None
    return latitude, longitude


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white (transparent PNG/WebP areas would turn black in a JPEG). An RGB image is returned as is."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _thumbnail(image: Image.Image) -> Image.Image:
    """A THUMBNAIL_EDGE copy, resized straight from `image` (no full-size copy first)."""
    if max(image.size) <= THUMBNAIL_EDGE:
        return image.copy()
    return image.resize(_scaled(*image.size, THUMBNAIL_EDGE), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)  # no exif= argument: the stored file carries no metadata
    return out.getvalue()


def photo_process(data: bytes) -> ProcessedImage:
    """Validate an uploaded photo and re-encode it (see the module's docstring). Raises InvalidPhoto, or
    ImageWorkBusy when this process's image slots stay busy."""
    with image_slot():
        return _photo_process(data)


def _photo_process(data: bytes) -> ProcessedImage:
    image, exif = _open(data, max_bytes=MAX_PHOTO_BYTES, max_pixels=MAX_PIXELS)
    original_format = image.format
    taken_at = _exif_datetime(exif)
    latitude, longitude = _exif_position(exif)
    try:
        # Scale down first, then turn and flatten the small copy: the full-size pixels are held once, briefly.
        if max(image.size) > MAX_STORED_EDGE:
            image.thumbnail((MAX_STORED_EDGE, MAX_STORED_EDGE), Image.Resampling.LANCZOS)
        ImageOps.exif_transpose(image, in_place=True)  # a copy would hold the pixels twice
        upright = _flatten(image)
        del image
        content = _jpeg(upright, JPEG_QUALITY)
        thumbnail = _jpeg(_thumbnail(upright), THUMBNAIL_QUALITY)
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
    with image_slot():
        return _signature_process(data)


def _signature_process(data: bytes) -> ProcessedImage:
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
        thumb = _thumbnail(flat)
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
