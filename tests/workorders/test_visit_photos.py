"""Photo and signature validation: real image types by content, size and pixel limits, decompression bombs,
corrupt and non-image files refused with `invalid_photo` (nothing stored), re-encoding without metadata, EXIF
time and position kept as data, thumbnails, the same upload stored once."""

import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from tests.workorders.builders.visits import (
    bomb_png,
    booked_visit,
    build_field_world,
    check_in,
    jpeg_bytes,
    photo,
    png_bytes,
    sign,
    signature_data_url,
    webp_bytes,
)
from workorders.models import VisitAction, VisitPhoto
from workorders.visits import photos
from workorders.visits.photos import InvalidPhoto, photo_process, signature_process


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


@pytest.fixture
def visit(world):
    visit = booked_visit(world)
    check_in(world, visit)
    return visit


def test_exif_time_and_gps_are_kept_as_data_and_stripped_from_the_file():
    # given
    data = jpeg_bytes(size=(800, 600), exif=True)
    # when
    processed = photo_process(data)
    # then
    assert processed.taken_at == datetime(2027, 3, 3, 15, 15, 30, tzinfo=UTC)
    assert (str(processed.latitude), str(processed.longitude)) == ("41.900000", "-87.650000")
    stored = Image.open(io.BytesIO(processed.content))
    assert stored.format == "JPEG" and not stored.getexif()
    assert (processed.width, processed.height) == (600, 800)  # turned upright (EXIF orientation 6)
    thumbnail = Image.open(io.BytesIO(processed.thumbnail))
    assert max(thumbnail.size) == photos.THUMBNAIL_EDGE


@pytest.mark.parametrize(
    ("name", "data", "format_"),
    [("jpeg", jpeg_bytes(), "JPEG"), ("png", png_bytes(), "PNG"), ("transparent png", png_bytes(mode="RGBA"), "PNG"),
     ("webp", webp_bytes(), "WEBP")],
)  # fmt: skip
def test_jpeg_png_and_webp_are_accepted_and_stored_as_jpeg(name, data, format_):
    processed = photo_process(data)
    assert processed.original_format == format_
    assert processed.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(processed.content)).format == "JPEG"


TEXT = b"Not a photo, just notes about the store.\n" * 20
REFUSED = [
    ("corrupt bytes", jpeg_bytes()[:600] + b"\x00garbage" * 40, "damaged"),
    ("a text file", TEXT, "not a JPEG, PNG or WebP image"),
    ("an empty file", b"", "empty"),
    ("oversized", b"\xff\xd8\xff" + b"\x00" * (photos.MAX_PHOTO_BYTES + 1), "the limit is 15 MB"),
    ("decompression bomb", bomb_png(), "more pixels than any camera"),
    ("too many pixels", bomb_png(8_000, 6_000), "the limit is 40 MP"),
    ("a GIF", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00,"
     b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "not a JPEG, PNG or WebP image"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "words"), REFUSED, ids=[row[0] for row in REFUSED])
def test_bad_files_are_refused_as_invalid_photos(name, data, words):
    with pytest.raises(InvalidPhoto) as refused:
        photo_process(data)
    assert (refused.value.code, refused.value.field) == ("invalid_photo", "file")
    assert words in refused.value.message


def test_a_photo_is_stored_privately_with_its_metadata(world, visit):
    # when
    outcome = photo(world, visit, data=jpeg_bytes(exif=True), filename="IMG_0042.HEIC.jpg")
    # then
    stored = VisitPhoto.objects.get(visit=visit)
    assert outcome.action.result["photo_id"] == stored.pk
    assert (stored.task_key, stored.original_format, stored.content_type) == ("survey", "JPEG", "image/jpeg")
    assert stored.exif_taken_at == datetime(2027, 3, 3, 15, 15, 30, tzinfo=UTC)
    assert stored.exif_latitude is not None and stored.size == stored.file.size
    assert stored.file.name.startswith(f"visit-photos/{world.organization.pk}/{visit.pk}/")
    with pytest.raises(ValueError, match="no URL"):
        stored.file.url  # noqa: B018 - private storage has no URL


def test_a_png_renamed_jpg_is_accepted_by_its_content(world, visit):
    photo(world, visit, data=png_bytes(), filename="renamed.jpg")
    assert VisitPhoto.objects.get(visit=visit).original_format == "PNG"


@pytest.mark.parametrize(("name", "data", "words"), REFUSED[:5], ids=[row[0] for row in REFUSED[:5]])
def test_a_refused_photo_leaves_the_visit_as_it_was(world, visit, name, data, words):
    # given
    photo(world, visit)
    before = VisitAction.objects.filter(visit=visit).count()
    # when
    with pytest.raises(InvalidPhoto):
        photo(world, visit, data=data)
    # then: the earlier photo and actions are intact, nothing new was recorded
    assert VisitPhoto.objects.filter(visit=visit).count() == 1
    assert VisitAction.objects.filter(visit=visit).count() == before


def test_the_same_photo_is_stored_once(world, visit):
    data = jpeg_bytes(color=(1, 2, 3))
    first = photo(world, visit, data=data, client_action_id="photo-1")
    resent = photo(world, visit, data=data, client_action_id="photo-1")
    again = photo(world, visit, data=data)  # a new action with the same bytes
    assert (first.replayed, resent.replayed, again.replayed) == (False, True, False)
    assert again.action.result["duplicate"] is True
    assert VisitPhoto.objects.filter(visit=visit).count() == 1
    assert VisitAction.objects.filter(visit=visit, kind="photo").count() == 2


def test_signatures_are_validated_like_photos(world, visit):
    # given
    processed = signature_process(signature_data_url())
    assert processed.content_type == "image/png" and (processed.width, processed.height) == (600, 200)
    cases = [
        ("data:image/jpeg;base64," + signature_data_url().split(",", 1)[1], "must be a PNG"),
        ("data:image/png;base64,@@@", "data:image/png;base64 URL"),
        ("data:image/png;base64,aGVsbG8=", "not a PNG"),
        (signature_data_url(bomb_png()), "more pixels than any camera"),
        ("not a data url", "data:image/png;base64 URL"),
    ]
    for value, words in cases:
        with pytest.raises(InvalidPhoto) as refused:
            sign(world, visit, signature=value)
        assert refused.value.field == "signature" and words in refused.value.message, value
    # when
    sign(world, visit)
    # then
    visit.refresh_from_db()
    stored = Image.open(visit.sign_off.signature.open("rb"))
    assert stored.format == "PNG" and stored.size == (600, 200)
