"""Bounded memory per upload: the decoded size is checked before decoding (JPEGs decoded at a reduced scale by
the library), identical uploads are recognised by their hash before any decoding, and image work is bounded per
process. The peak memory per largest photo is measured by `python -m bench photos`."""

import threading

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
)
from workorders.models import VisitPhoto
from workorders.visits import photos
from workorders.visits.photos import ImageWorkBusy, InvalidPhoto, photo_process


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


@pytest.fixture
def visit(world):
    visit = booked_visit(world)
    check_in(world, visit)
    return visit


@pytest.fixture
def tiny_decode_budget(monkeypatch):
    # 1 MiB of decoded pixels: a 1000 × 1000 image (4 MB decoded) is over it
    monkeypatch.setattr(photos, "MAX_DECODED_BYTES", 1024 * 1024)


@pytest.fixture
def busy_image_slots(monkeypatch):
    """Every image slot of this process taken (as by other uploads), and a short wait for one."""
    monkeypatch.setattr(photos, "IMAGE_WAIT_SECONDS", 0.05)
    held = 0
    while photos._image_slots.acquire(blocking=False):
        held += 1
    yield
    for _ in range(held):
        photos._image_slots.release()


def test_the_issues_40_mp_png_is_refused_before_it_is_decoded():
    # given a PNG of a few hundred bytes declaring 8,000 × 5,000 pixels (40 MP: within the pixel limit, but
    # 160 MB once decoded — the 113 KiB PNG that cost 480 MB)
    data = bomb_png(8_000, 5_000)
    # when / then: refused from its header (its pixel data is not even valid)
    with pytest.raises(InvalidPhoto, match="too many to decode as PNG"):
        photo_process(data)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(tiny_decode_budget):
    # given a JPEG whose full decode would exceed the budget
    data = jpeg_bytes(size=(1000, 1000))
    # when
    processed = photo_process(data)
    # then it is accepted, decoded at 1/2 (4 MB → 1 MB) by the JPEG library itself
    assert (processed.width, processed.height) == (500, 500)


def test_a_png_over_the_decode_budget_is_refused(tiny_decode_budget):
    with pytest.raises(InvalidPhoto, match="at most 1 MB decoded"):
        photo_process(png_bytes(size=(1000, 1000)))
    assert photo_process(png_bytes(size=(400, 300))).width == 400  # within the budget


def test_decoded_size_is_read_from_the_header():
    image = Image.open(__import__("io").BytesIO(png_bytes(size=(400, 300))))
    assert photos.decoded_bytes(image) == 400 * 300 * 4  # Pillow keeps RGB as 4 bytes per pixel


def test_when_every_image_slot_is_busy_a_new_photo_waits_then_gets_server_busy(world, visit, busy_image_slots):
    with pytest.raises(ImageWorkBusy) as busy:
        photo(world, visit, data=jpeg_bytes(color=(9, 9, 9)))
    assert (busy.value.code, busy.value.status_code) == ("server_busy", 503)
    assert not VisitPhoto.objects.filter(visit=visit).exists()


def test_identical_uploads_are_recognised_before_decoding(world, visit, monkeypatch):
    # given a photo already stored for the task
    data = jpeg_bytes(color=(1, 2, 3))
    photo(world, visit, data=data)
    # when every image slot is busy, the same bytes are sent again (a new action: a phone's retry)
    monkeypatch.setattr(photos, "IMAGE_WAIT_SECONDS", 0.05)
    held = 0
    while photos._image_slots.acquire(blocking=False):
        held += 1
    try:
        again = photo(world, visit, data=data)
    finally:
        for _ in range(held):
            photos._image_slots.release()
    # then it is recorded as the duplicate it is, with no image work at all
    assert again.action.result["duplicate"] is True
    assert VisitPhoto.objects.filter(visit=visit).count() == 1


def test_image_work_runs_at_most_the_configured_number_at_once(monkeypatch):
    # given more simultaneous uploads than slots, each observed inside its slot
    inside, most = 0, 0
    lock = threading.Lock()
    real = photos._photo_process

    def observed(data):
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        try:
            return real(data)
        finally:
            with lock:
                inside -= 1

    monkeypatch.setattr(photos, "_photo_process", observed)
    data = jpeg_bytes(size=(2000, 1500))
    threads = [threading.Thread(target=photo_process, args=(data,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then never more than the slots at once
    assert 1 <= most <= photos._image_slots._initial_value
