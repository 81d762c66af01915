"""Packets: compiling 1,200 sites against one SOW, and rendering realistic packets to PDF on two processes.

Cases (issue 4's targets):
- compile (no PDF) of every work order of a 1,200-site program: an approved SOW of 40 tasks (a quarter of
  them conditional) and 10 materials, sites with contacts and attributes, 15% of them with approved
  variations — loading included (the selector's fixed number of queries), as a re-issue preview does it;
  target: under 10 s, i.e. at least 120 sites/s;
- PDF render of a realistic packet (40 tasks with Markdown instructions, evidence, 2 images, the QR code
  cover, site-specific notes; 4 pages) with the worker's default concurrency of 2: two processes, each
  rendering N packets after one warm-up render (a worker renders many), per packet and per page, beside the
  ceiling: bare WeasyPrint rendering the very HTML the product rendered, in the same processes right after
  (stylesheet parsed once, images in memory) — so the ratio is the product's own overhead (data, Markdown, QR,
  template, fetching); goal ≥ 0.8×.
"""

from __future__ import annotations

import multiprocessing
import random
import re
import subprocess
import time
from decimal import Decimal

from bench.report import Row

NAME = "packets"
SITES = 1_200
COMPILE_TARGET_SECONDS = 10
RENDER_TARGET_PER_MINUTE = 150
RENDER_PROCESSES = 2
RENDERS_PER_PROCESS = 40
IMAGES = ("/static/img/tutti-mark.svg", "/static/vendor/leaflet/images/layers-2x.png")
FORMATS = ["mall", "street", "outlet", "supercenter"]
CONDITIONS = ['store_format = "mall"', "floors >= 2", "has_loading_dock", 'store_format in ("street", "outlet")']


def _instructions(n: int) -> str:
    """One or two lines per task, a short checklist on every fifth: what real SOW steps look like."""
    text = f"Power down lane {n}, then fit the part as drawn in the **wiring plan** and tighten to spec."
    if n % 5 == 0:
        text += "\n\n- label both cable ends\n- confirm with the store manager"
    if n in (3, 17):  # the two images of the packet: diagrams served from Tutti's own static files
        text += f"\n\n![diagram {n}]({IMAGES[0 if n == 3 else 1]})"
    return text


def _build(organization, client, sites_count: int = SITES):
    """A program of `sites_count` sites (1,200) with an approved SOW, work orders and variations, written in bulk."""
    from django.utils import timezone

    from programs.choices import EvidenceKind, SowStatus, VariationKind, VariationStatus
    from programs.models import Enrollment, Program, SiteVariation, Sow, SowMaterial, SowTask
    from sites.models import Site, SiteContact
    from workorders.models import WorkOrder

    rng = random.Random(4)
    program = Program.objects.create(
        organization=organization, client=client, code="bench-packets", name="Bench packets",
        start_date="2026-01-01", end_date="2026-12-31",
    )  # fmt: skip
    sow = Sow.objects.create(organization=organization, program=program, version=1)
    evidence = [EvidenceKind.PHOTO, EvidenceKind.SERIAL, EvidenceKind.MEASUREMENT, EvidenceKind.NONE]
    SowTask.objects.bulk_create(
        SowTask(
            organization=organization, sow=sow, key=f"task-{n:02d}", position=n, title=f"Install step {n}",
            instructions=_instructions(n), estimated_minutes=10 + n % 20, evidence_kind=evidence[n % 4],
            photo_min_count=2 if evidence[n % 4] == EvidenceKind.PHOTO else None,
            measurement_unit="m" if evidence[n % 4] == EvidenceKind.MEASUREMENT else "",
            condition=CONDITIONS[n % 4] if n % 4 == 0 else "",
        )
        for n in range(1, 41)
    )  # fmt: skip
    SowMaterial.objects.bulk_create(
        SowMaterial(
            organization=organization, sow=sow, key=f"part-{n:02d}", position=n, part_number=f"PN-{n:04d}",
            description=f"Part {n}", quantity=Decimal(1 + n % 3), condition="floors >= 2" if n == 10 else "",
        )
        for n in range(1, 11)
    )  # fmt: skip
    Sow.objects.filter(pk=sow.pk).update(status=SowStatus.APPROVED, approved_at=timezone.now())
    sites = Site.objects.bulk_create(
        Site(
            organization=organization, client=client, code=f"BP-{n:05d}", name=f"Store {n}",
            address_line1=f"{n} Main St", city="Chicago", state="IL", postal_code="60601",
            latitude=Decimal("41.878100"), longitude=Decimal("-87.629800"), timezone="America/Chicago",
            access_hours={"mon": ["06:00-22:00"], "sat": ["08:00-20:00"]}, blackout_dates=["2026-11-26"],
            attributes={"store_format": FORMATS[n % 4], "floors": 1 + n % 3, "has_loading_dock": n % 3 == 0},
        )
        for n in range(1, sites_count + 1)
    )  # fmt: skip
    SiteContact.objects.bulk_create(
        SiteContact(organization=organization, site=site, name=f"Manager {site.code}", role="Store manager",
                    phone="+1 312 555 0100", is_primary=True)
        for site in sites
    )  # fmt: skip
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(organization=organization, program=program, site=site) for site in sites
    )
    WorkOrder.objects.bulk_create(
        WorkOrder(organization=organization, program=program, site_id=enrollment.site_id, enrollment=enrollment,
                  number=f"BENCH-{n:06d}", sequence=n, sow=sow)
        for n, enrollment in enumerate(enrollments, start=1)
    )  # fmt: skip
    variations = []
    for site in rng.sample(sites, sites_count * 15 // 100):
        common = {"organization": organization, "program": program, "site": site, "status": VariationStatus.APPROVED}
        variations.append(
            SiteVariation(
                **common,
                kind=VariationKind.ACCESS_NOTE,
                reason="Mall rules.",
                note="Use the service corridor; badge at security.",
            )
        )
        variations.append(
            SiteVariation(
                **common,
                kind=VariationKind.ADD_TASK,
                reason="Power cuts here.",
                task_key="ups",
                after_task_key="task-05",
                title="Fit the backup power unit",
                instructions="Plug the **UPS** in behind the counter.",
                estimated_minutes=15,
                evidence_kind="photo",
                photo_min_count=1,
            )
        )
        variations.append(
            SiteVariation(
                **common,
                kind=VariationKind.EXTRA_MATERIAL,
                reason="Long cable run.",
                part_number="CAB-30",
                description="30 m cable",
                quantity=Decimal(2),
                unit="ea",
            )
        )
    SiteVariation.objects.bulk_create(variations)
    return program


def _page_count(pdf: bytes) -> int:
    """Pages of a PDF, as poppler's pdfinfo counts them (0 when pdfinfo is not installed)."""
    try:
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True, text=False).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    found = re.search(rb"^Pages:\s+(\d+)", info, re.MULTILINE)
    return int(found.group(1)) if found else 0


def _bare_fetcher():
    """The product's fetcher, memoized: the bare renderer gets every image's bytes for free after the warm-up."""
    from workorders.packets.render import url_fetcher

    fetched: dict[str, dict] = {}

    def fetch(url: str, *args, **kwargs) -> dict:
        if url not in fetched:
            result = dict(url_fetcher(url))
            if "file_obj" in result:  # data: URIs come as a file object, read once
                result["string"] = result.pop("file_obj").read()
            fetched[url] = result
        return dict(fetched[url])

    return fetch


def _render_worker(snapshot: dict, document: str, count: int, runs: int, queue) -> None:
    """One worker process: a warm-up of each (fonts, stylesheet), then per run `count` product renders
    (`packet_render_pdf` from the snapshot: context, Markdown, QR, template, WeasyPrint) and `count` bare WeasyPrint
    renders of the HTML the product rendered (stylesheet parsed once, images already in memory)."""
    try:
        _render_runs(snapshot, document, count, runs, queue)
    except BaseException as error:  # the parent waits on the queue: tell it rather than die silently
        queue.put(("error", f"{type(error).__name__}: {error}"))
        raise


def _render_runs(snapshot: dict, document: str, count: int, runs: int, queue) -> None:
    from django.conf import settings
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from workorders.packets.render import PRINT_STYLESHEET, packet_render_pdf

    url = "https://tutti.example/o/bench/packets/work-orders/1/"
    fetch = _bare_fetcher()
    fonts = FontConfiguration()
    from django.contrib.staticfiles import finders

    stylesheet = CSS(filename=finders.find(PRINT_STYLESHEET), font_config=fonts)

    def bare() -> bytes:
        return HTML(string=document, base_url=settings.TUTTI_BASE_URL, url_fetcher=fetch).write_pdf(
            stylesheets=[stylesheet], font_config=fonts
        )

    pages = _page_count(packet_render_pdf(snapshot, visit_url=url, version=1, visit_window=WINDOW))
    bare_pages = _page_count(bare())
    for run in range(runs):
        started = time.perf_counter()
        for _ in range(count):
            packet_render_pdf(snapshot, visit_url=url, version=1, visit_window=WINDOW)
        product = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(count):
            bare()
        queue.put((run, product, time.perf_counter() - started, pages, bare_pages))


WINDOW = "Wed Mar 4, 2026, 09:00–13:00"


def _document(snapshot: dict) -> str:
    """The HTML `packet_render_pdf` renders for this snapshot (captured from the product's own call)."""
    from unittest import mock

    from workorders.packets import render

    captured = []
    original = render.render_to_string

    def capture(*args, **kwargs):
        captured.append(original(*args, **kwargs))
        return captured[-1]

    with mock.patch.object(render, "render_to_string", capture):
        render.packet_render_pdf(
            snapshot, visit_url="https://tutti.example/o/bench/packets/work-orders/1/", version=1, visit_window=WINDOW
        )
    return captured[-1]


def run(size) -> list[Row]:
    from rollout.models import Client, Organization
    from workorders.models import WorkOrder
    from workorders.packets.render import packet_render_pdf
    from workorders.packets.selectors import packet_compile_many, packet_sow_for_compile

    sites = size.pick(SITES, 200, 20) if size.rows is None else SITES
    renders = 1 if size.tiny else (3 if size.quick else RENDERS_PER_PROCESS)
    organization, _ = Organization.objects.get_or_create(slug="bench-packets", defaults={"name": "Bench packets"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    program = _build(organization, client, sites)

    # Compile: everything a re-issue preview or a generation job loads and computes, without the PDF.
    compile_rates = []
    for _ in range(size.runs):
        started = time.perf_counter()
        sow = packet_sow_for_compile(organization=organization, program_id=program.pk)
        work_orders = list(
            WorkOrder.objects.for_organization(organization).filter(program=program).order_by("sequence")
        )
        snapshots = packet_compile_many(organization=organization, program=program, sow=sow, work_orders=work_orders)
        compile_rates.append(sites / (time.perf_counter() - started))
    assert len(snapshots) == sites
    again = packet_compile_many(organization=organization, program=program, sow=sow, work_orders=work_orders[:50])
    assert all(again[pk].checksum == snapshots[pk].checksum for pk in again), "checksums must be stable"

    # Render: the richest packet (variations applied, 40 tasks), as the worker would render it, beside bare WeasyPrint.
    snapshot = max(snapshots.values(), key=lambda item: len(item.content["tasks"])).to_json()
    assert len(snapshot["tasks"]) >= 40, len(snapshot["tasks"])
    packet_render_pdf(snapshot, visit_url="https://tutti.example/warm-up", version=1)  # fail early, in-process
    document = _document(snapshot)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_render_worker, args=(snapshot, document, renders, size.runs, queue))
        for _ in range(RENDER_PROCESSES)
    ]
    for worker in workers:
        worker.start()
    results = []
    for _ in range(RENDER_PROCESSES * size.runs):
        results.append(queue.get(timeout=900))
        if results[-1][0] == "error":
            for worker in workers:
                worker.terminate()
            raise RuntimeError(f"a render process failed: {results[-1][1]}")
    for worker in workers:
        worker.join()
    _cleanup(organization)
    pages = results[0][3]
    assert pages == results[0][4], f"the bare render has {results[0][4]} pages, the product's {pages}"
    rendered = RENDER_PROCESSES * renders
    product, bare = [], []
    for run_index in range(size.runs):
        timings = [result for result in results if result[0] == run_index]
        product.append(rendered * 60 / max(result[1] for result in timings))
        bare.append(rendered * 60 / max(result[2] for result in timings))
    shape = f"{len(snapshot['tasks'])} tasks, 2 images, QR, {pages} pages; {RENDER_PROCESSES} processes × {renders}"
    ceiling = "bare WeasyPrint, same HTML"
    return [
        Row(NAME, f"compile {sites:,} sites (no PDF)", "sites/s", compile_rates, "none (target ≥ 120/s)",
            note="loading included, as a re-issue preview"),
        Row(NAME, "render PDF, per packet", "packets/min", product, ceiling, bare, goal=0.8, note=shape),
        Row(NAME, "render PDF, per page", "pages/min", [rate * pages for rate in product], ceiling,
            [rate * pages for rate in bare], goal=0.8, note=shape),
    ]  # fmt: skip


def _cleanup(organization) -> None:
    """Remove the benchmark's rows (in dependency order), so that a run starts from nothing."""
    from programs.models import Enrollment, Program, SiteVariation, Sow, SowMaterial, SowTask
    from sites.models import Site, SiteContact
    from workorders.models import Packet, WorkOrder

    for model in (Packet, WorkOrder, SiteVariation, Enrollment, SowTask, SowMaterial):
        model.objects.for_organization(organization).delete()
    for model in (Sow, Program, SiteContact, Site):
        model.objects.for_organization(organization).delete()
