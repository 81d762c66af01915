"""Packet rendering: real PDFs (text extracted with poppler's pdftotext) and the phone page."""

import subprocess
from decimal import Decimal

import pytest

from programs.choices import VariationKind
from tests.workorders.builders.packets import approved_variation, build_plan, compile_plan, pdf_page_count, pdf_text
from workorders.packets.errors import PacketRenderError
from workorders.packets.render import evidence_label, packet_render_html, packet_render_pdf

VISIT_URL = "http://127.0.0.1:8000/o/acme-rollouts/packets/work-orders/7/"


@pytest.fixture
def snapshot(tenant):
    plan = build_plan(tenant, site_code="HF-0042")
    approved_variation(
        plan.program,
        plan.site,
        VariationKind.ADD_TASK,
        task_key="ups",
        title="Fit the backup power unit",
        after_task_key="mount",
        instructions="Plug the *UPS* in behind the counter.",
        reason="Frequent power cuts at this store.",
    )
    approved_variation(
        plan.program, plan.site, VariationKind.ACCESS_NOTE, note="Use the rear door after 9 pm.", reason="Mall rules."
    )
    approved_variation(
        plan.program,
        plan.site,
        VariationKind.EXTRA_MATERIAL,
        part_number="UPS-650",
        description="Backup power unit",
        quantity=Decimal("1"),
        unit="ea",
        reason="Power cuts.",
    )
    return compile_plan(plan, work_order_number="WO-000007")


def test_pdf_holds_the_site_its_variations_and_only_the_tasks_that_apply(snapshot):
    # when
    pdf = packet_render_pdf(snapshot, visit_url=VISIT_URL, version=3, visit_window="Tue 2026-03-03, 08:00–12:00")

    # then
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "HF-0042" in text
    assert "WO-000007" in text
    assert "Tue 2026-03-03, 08:00–12:00" in text
    assert "Dana Store-Manager" in text
    assert "Fit the backup power unit" in text
    assert "Frequent power cuts at this store." in text
    assert "Use the rear door after 9 pm." in text
    assert "UPS-650" in text
    assert "Site-specific" in text
    assert "Run cable to the upper floor" in text  # floors >= 2: applies
    assert "Fit the street-front sign" not in text  # store_format = "street": false here
    assert "Receive pallets at the loading dock" not in text
    assert "SIGN-ST" not in text


def test_every_page_footer_shows_page_version_and_checksum(snapshot):
    # when
    pdf = packet_render_pdf(snapshot, visit_url=VISIT_URL, version=3)

    # then
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) == pdf_page_count(pdf) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Packet v3" in page
        assert snapshot.checksum in page


def test_tasks_are_numbered_with_their_evidence(snapshot):
    # when
    text = pdf_text(packet_render_pdf(snapshot, visit_url=VISIT_URL, version=1))

    # then
    assert "3. Fit the backup power unit" in text
    assert "4. Run cable to the upper floor" in text
    assert "Evidence: At least 2 photos" in text
    assert "Evidence: Measurement (m) between 0.5 and 30 m" in text


def test_cover_carries_a_qr_code_image(snapshot):
    # when
    pdf = packet_render_pdf(snapshot, visit_url=VISIT_URL, version=1)

    # then poppler lists the QR code as an image on page 1
    listing = subprocess.run(["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=False)
    if listing.returncode != 0:  # older poppler reads files only
        pytest.skip("pdfimages cannot read from stdin here")
    rows = [line.split() for line in listing.stdout.decode().splitlines()[2:]]
    assert any(row[0] == "1" for row in rows)
    assert VISIT_URL in pdf_text(pdf)


def test_markdown_is_sanitized_like_the_sow_pages(snapshot):
    # given instructions carrying script and an event handler
    content = snapshot.to_json()
    content["tasks"][0]["instructions"] = 'Hello <script>alert("x")</script><img src=x onerror="alert(1)"> **bold**'

    # when
    page = packet_render_html(content, version=1)
    text = pdf_text(packet_render_pdf(content, visit_url=VISIT_URL, version=1))

    # then
    assert "<script" not in page and "onerror" not in page
    assert "<strong>bold</strong>" in page
    assert "alert" not in text


def test_remote_images_are_referenced_not_fetched(snapshot):
    # given an image on another host (the renderer never fetches: no network, no SSRF)
    content = snapshot.to_json()
    content["tasks"][0]["instructions"] = "See ![wiring diagram](https://cdn.example.com/wiring.png)"

    # when
    text = pdf_text(packet_render_pdf(content, visit_url=VISIT_URL, version=1))

    # then
    assert "[Image: wiring diagram — https://cdn.example.com/wiring.png]" in text


def test_an_image_that_cannot_load_fails_the_render(snapshot):
    # given an image the renderer should embed but cannot (a missing static file)
    content = snapshot.to_json()
    content["tasks"][0]["instructions"] = "See ![diagram](/static/img/packets/no-such-diagram.png)"

    # when / then
    with pytest.raises(PacketRenderError) as raised:
        packet_render_pdf(content, visit_url=VISIT_URL, version=1)
    assert "no-such-diagram.png" in raised.value.message
    assert raised.value.code == "packet_render_failed"


def test_static_images_are_embedded(snapshot):
    # given an image from Tutti's own static files
    content = snapshot.to_json()
    content["tasks"][0]["instructions"] = "Brand: ![mark](/static/img/tutti-mark.svg)"

    # when
    pdf = packet_render_pdf(content, visit_url=VISIT_URL, version=1)

    # then
    assert "[Image:" not in pdf_text(pdf)


def test_phone_page_shows_the_same_packet(snapshot):
    # when
    page = packet_render_html(snapshot, version=2)

    # then
    assert "HF-0042" in page
    assert "Packet v2" in page
    assert "Fit the backup power unit" in page
    assert "Use the rear door after 9 pm." in page
    assert "Site-specific" in page
    assert "Fit the street-front sign" not in page
    assert snapshot.checksum in page
    assert 'href="tel:+1 312 555 0100"' in page


@pytest.mark.parametrize(
    ("evidence", "label"),
    [
        ({"kind": "none"}, ""),
        ({"kind": "photo", "photo_min_count": 1}, "At least 1 photo"),
        ({"kind": "photo", "photo_min_count": None}, "At least 1 photo"),
        ({"kind": "serial", "serial_pattern": ""}, "Serial number"),
        ({"kind": "measurement", "measurement_unit": "V", "measurement_min": "5", "measurement_max": None},
         "Measurement (V) of at least 5 V"),
        ({"kind": "signature"}, "Signature"),
    ],
)  # fmt: skip
def test_evidence_labels(evidence, label):
    assert evidence_label(evidence) == label
