"""Peak memory per photo upload: the largest photo of each accepted format, processed as an upload is.

Each case runs `workorders.visits.photos.photo_process` in a fresh Python process (Django set up, the file read)
and reports the growth of its resident memory from just before the call to the peak during it (Linux: the peak is
reset through /proc/self/clear_refs, then read as VmHWM), and the time. Target: at most 150 MB for the largest
accepted photo (issue 10). Cases:
- the largest camera JPEG accepted (40 MP), and a 12 MP phone photo;
- the largest PNG and WebP accepted (their decoded size is what limits them);
- the issue's 40 MP PNG of about 100 KiB, refused from its header (it once cost 480 MB to decode).
`BENCH_PHOTOS_CODE=/path/to/checkout` measures another checkout's photo code on the same files (before/after).
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from bench.report import Row

TARGET_PEAK_MB = 150
MEASURE = r"""
import json, os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
import django
django.setup()
from workorders.visits.photos import photo_process

def status(field):
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None

data = open(sys.argv[1], "rb").read()
before = status("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak (VmHWM) to the current resident size
    start_peak = None
except OSError:
    start_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
started = time.perf_counter()
try:
    processed = photo_process(data)
    outcome = f"stored {processed.width}×{processed.height}"
except Exception as exc:
    outcome = f"refused: {type(exc).__name__}: {exc}"[:120]
seconds = time.perf_counter() - started
peak = status("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak - before, "seconds": seconds, "outcome": outcome, "reset": start_peak is None}))
"""


def _camera_like(size: tuple[int, int], noise: float = 24) -> Image.Image:
    """Gradients with sensor-like noise: compresses like a photo, not like a flat colour."""
    horizontal = Image.linear_gradient("L").resize(size)
    vertical = Image.linear_gradient("L").rotate(90).resize(size)
    noise = Image.effect_noise(size, noise)
    return Image.merge("RGB", (horizontal, vertical, noise))


def _save(image: Image.Image, format_: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format_, **options)
    return out.getvalue()


def cases() -> list[tuple[str, object]]:
    """(name, a function making the file): the files are made only for the cases that run."""
    from workorders.visits import photos

    budget = photos.MAX_DECODED_BYTES
    png_edge = int((budget / 4) ** 0.5)  # RGB kept as 4 bytes per pixel
    webp_edge = int((budget / 16) ** 0.5)  # decoded into buffers, then copied: 4 copies
    jpeg_40mp = (7744, 5164)  # 39.99 MP, the largest camera JPEG accepted
    return [
        ("largest JPEG (40 MP)", lambda: _save(_camera_like(jpeg_40mp), "JPEG", quality=85)),
        ("phone JPEG (12 MP)", lambda: _save(_camera_like((4032, 3024)), "JPEG", quality=90)),
        (f"largest PNG ({png_edge}² px)", lambda: _save(_camera_like((png_edge, png_edge), noise=3), "PNG")),
        (f"largest WebP ({webp_edge}² px)", lambda: _save(_camera_like((webp_edge, webp_edge)), "WEBP", quality=80)),
        (
            "issue's 40 MP PNG (refused)",
            lambda: _save(Image.new("RGB", (8000, 5000), (200, 200, 200)), "PNG", optimize=True),
        ),
    ]


def measure(path: Path, code_dir: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code_dir), "DJANGO_SETTINGS_MODULE": "bench.settings"}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"photo measurement failed: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(size) -> list[Row]:
    code_dir = Path(os.environ.get("BENCH_PHOTOS_CODE") or Path(__file__).resolve().parent.parent)
    chosen = cases()
    if size.tiny:
        chosen = chosen[-1:]  # the refused PNG: no decoding, a second
    elif size.quick:
        chosen = [chosen[1], chosen[-1]]  # the phone JPEG and the refused PNG
    rows = []
    with tempfile.TemporaryDirectory(prefix="tutti-bench-photos-") as folder:
        for name, make in chosen:
            data = make()
            path = Path(folder) / "upload"
            path.write_bytes(data)
            runs = [measure(path, code_dir) for _ in range(size.runs)]
            peaks = [measured["peak"] / 2**20 for measured in runs]
            seconds = statistics.median(measured["seconds"] for measured in runs)
            verdict = "ok" if statistics.median(peaks) <= TARGET_PEAK_MB else "MISSED"
            rows.append(
                Row("photos", f"peak memory, {name}", "MB", peaks, f"none (target ≤ {TARGET_PEAK_MB} MB)",
                    lower_is_better=True,
                    note=f"{verdict}; {len(data) / 2**20:.1f} MB file; {seconds:.2f} s; {runs[0]['outcome']}")
            )  # fmt: skip
    return rows
