"""Screenshots of the dashboard and of the accountability report, in English and Japanese, for docs/.

    python3 scripts/screenshots.py [--out docs/screenshots] [--width 1200] [--real | --no-real]

1. builds the demo workspace (``kizuna demo``'s builder, in a temporary folder), and with ``--real``
   (the default when ../shared/data/iati is beside the repository) a workspace of the six real IATI
   files the tests use;
2. serves each with ``kizuna serve`` (uvicorn on 127.0.0.1) and photographs the main pages with
   Debian's headless Chromium, ``?lang=en`` and ``?lang=ja``: ``en-overview.png``, ``ja-overview.png``, …
   (the real-file workspace: ``real-en-overview.png``, …);
3. writes the accountability report (``kizuna --lang en|ja report accountability --out report.html``),
   prints it to PDF with Chromium (A4, its print stylesheet) and rasterises the first pages of the PDF
   with pypdfium2: ``en-report-1.png``, ``ja-report-1.png``, …

Images are ``--width`` pixels wide (a page's first ``--max-height`` pixels), reduced to a 256-colour
palette and optimised with Pillow. Offline: nothing is fetched. Needs Debian's ``chromium`` and
``fonts-noto-cjk`` (Japanese glyphs), and ``pip install pypdfium2 pillow`` (not needed by the tests).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_IATI = ROOT.parent / "shared" / "data" / "iati"
REAL_FILES = [  # the same six files as tests/conftest.py:REAL_IATI
    "state-southsudan.xml",
    "usadf-southsudan.xml",
    "hhs-southsudan.xml",
    "acfspain-ss.xml",
    "usaid-cf.xml",
    "dod-afghanistan.xml",
]
CHROMIUM = "/usr/bin/chromium"
PAGES = {  # file name -> path
    "overview": "/",
    "presence": "/presence",
    "overlaps": "/overlaps",
    "gaps": "/gaps",
    "division": "/division",
    "vital-core": "/vital-core",
    "screening": "/screening",
    "sources": "/sources",
}
REAL_PAGES = {"overview": "/", "presence": "/presence", "overlaps": "/overlaps", "division": "/division"}
LANGS = ("en", "ja")
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def build_demo_workspace(folder: Path) -> tuple[Path, Path | None]:
    """The demo workspace and the needs table the demo writes (for the gaps page)."""
    sys.path.insert(0, str(ROOT / "src"))
    from kizuna.demo.build import build_demo

    path = folder / "demo" / "kizuna.duckdb"
    path.parent.mkdir(parents=True)
    build_demo(path, path.parent / "inputs")
    needs = path.parent / "inputs" / "coordinate" / "kaltara-needs.csv"
    return path, needs if needs.exists() else None


def build_real_workspace(folder: Path) -> Path:
    from kizuna.ledger.ingest import ingest_paths
    from kizuna.workspace import open_workspace

    path = folder / "real" / "kizuna.duckdb"
    path.parent.mkdir(parents=True)
    with open_workspace(path) as ws:
        ingest_paths(ws, [SHARED_IATI / f for f in REAL_FILES])
    return path


@contextlib.contextmanager
def serving(workspace: Path, needs: Path | None) -> Iterator[str]:
    """``kizuna serve`` over ``workspace`` on a free loopback port; yields its base URL."""
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import sys; from kizuna.web import serve;"
        " serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]), sys.argv[3] or None)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(workspace), str(port), str(needs or "")],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server over {workspace} did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def save_png(png: bytes, out: Path, width: int) -> None:
    """``png`` scaled to ``width`` pixels wide, in a 256-colour palette, optimised."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    if img.width != width:
        img = img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS)
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(out, optimize=True)
    print(f"  {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}  {out.stat().st_size / 1024:.0f} KiB")


def photograph(browser, base: str, pages: dict[str, str], prefix: str, out: Path, width: int, max_height: int) -> None:
    for lang in LANGS:
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
        page = ctx.new_page()
        for name, path in pages.items():
            page.goto(f"{base}{path}?lang={lang}")
            page.wait_for_selector("body[data-charts]", state="attached", timeout=30_000)
            page.wait_for_timeout(300)  # let the last SVG settle
            height = min(max_height, page.evaluate("document.documentElement.scrollHeight"))
            png = page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height})
            save_png(png, out / f"{prefix}{lang}-{name}.png", width)
        ctx.close()


def report_pngs(browser, workspace: Path, needs: Path | None, out: Path, tmp: Path, width: int, pages: int) -> None:
    """The accountability report in each language: HTML from the CLI, PDF from Chromium, PNGs of its first pages."""
    import pypdfium2 as pdfium
    from playwright.sync_api import Error as PlaywrightError

    for lang in LANGS:
        html = tmp / f"report-{lang}.html"
        cmd = [sys.executable, "-m", "kizuna", "--lang", lang, "report", "accountability", "-w", str(workspace)]
        cmd += ["--country", "XZ", "--out", str(html)]
        if needs is not None:
            cmd += ["--needs", str(needs)]
        subprocess.run(cmd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ctx = browser.new_context(locale=lang)
        page = ctx.new_page()
        page.goto(html.as_uri(), wait_until="load")
        try:  # the report draws its charts with vega-embed and counts them in kizunaChartsRendered
            page.wait_for_function(
                "() => typeof KIZUNA_CHARTS === 'undefined' || window.kizunaChartsRendered >= KIZUNA_CHARTS.length",
                timeout=30_000,
            )
        except PlaywrightError:
            page.wait_for_timeout(2_000)  # a report that draws its charts another way: give it time
        pdf = tmp / f"report-{lang}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        ctx.close()
        doc = pdfium.PdfDocument(str(pdf))
        print(f"  report ({lang}): {len(doc)} A4 page(s)")
        for i in range(min(pages, len(doc))):
            pdf_page = doc[i]
            scale = width / pdf_page.get_width()  # PDF points -> pixels
            image = pdf_page.render(scale=scale).to_pil()
            buf = io.BytesIO()
            image.save(buf, format="PNG")
            save_png(buf.getvalue(), out / f"{lang}-report-{i + 1}.png", width)
        doc.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--width", type=int, default=1200, help="image width in pixels")
    ap.add_argument("--max-height", type=int, default=1800, help="photograph at most this much of a page")
    ap.add_argument("--report-pages", type=int, default=2, help="first pages of the report to rasterise")
    ap.add_argument(
        "--real",
        action=argparse.BooleanOptionalAction,
        default=SHARED_IATI.exists(),
        help="also the real-file workspace (default: when ../shared/data/iati is present)",
    )
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit("/usr/bin/chromium is missing: apt-get install chromium fonts-noto-cjk")
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="kizuna-shots-") as tmp_name, sync_playwright() as pw:
        tmp = Path(tmp_name)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        print("demo workspace")
        demo, needs = build_demo_workspace(tmp)
        with serving(demo, needs) as base:
            photograph(browser, base, PAGES, "", args.out, args.width, args.max_height)
        report_pngs(browser, demo, needs, args.out, tmp, args.width, args.report_pages)
        if args.real:
            print("real-file workspace (../shared/data/iati)")
            real = build_real_workspace(tmp)
            with serving(real, None) as base:
                photograph(browser, base, REAL_PAGES, "real-", args.out, args.width, args.max_height)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
