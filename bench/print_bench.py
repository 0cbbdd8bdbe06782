"""Benchmark: the print edition of the whole FRUS volume, ours against TEI Stylesheets + FOP.

    .venv/bin/python bench/print_bench.py              # 1 run per row (FOP alone takes over a minute)
    .venv/bin/python bench/print_bench.py --runs 3 --weasyprint
    .venv/bin/python bench/print_bench.py --skip-fop   # the book and the document PDFs alone

Rows, each a whole process timed as a user runs it (median of --runs; peak RSS of the
process tree's largest process, as bench/bench.py measures it):

- the field's route: saxonche runs the TEI Stylesheets' FO profile
  (../shared/bench/tei-stylesheets/profiles/default/fo/to.xsl) on the volume, then Debian's
  Apache FOP lays the FO out (``fop -fo v.fo -pdf v.pdf``); the baseline is the sum of both;
- ours, the book: ``edition build -f pdf --whole-pdf --no-unit-pdfs`` (the print HTML of every
  unit on both cores, then Typst sets the book; PDF/UA-1 tagged), against the goal of half the
  baseline and below 1 GiB;
- ours, the per-document PDFs: ``edition build -f pdf --no-whole-pdf`` with the default engine
  (Typst for every document without images, in a Typst server per worker) on both cores, in
  seconds per document, against the goal of 0.15 s;
- with ``--weasyprint`` only (about two minutes each): the book and the per-document PDFs
  through WeasyPrint (``--pdf-engine weasyprint``), the engine both had before.

The load average of the machine is printed before and after: the rows are comparable only
with each other, in the same run.

Needs ../shared (the volume and the stylesheets), saxonche (the bench extra) and fop (install.sh).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import EDITION, REPO, SHARED, run_once  # noqa: E402

VOLUME = SHARED / "corpus" / "frus" / "frus1958-60v19.xml"
FO_XSL = SHARED / "bench" / "tei-stylesheets" / "profiles" / "default" / "fo" / "to.xsl"
BOOK_GOAL = 0.5          # of TEI Stylesheets + FOP
MEMORY_GOAL_MIB = 1024
PER_DOCUMENT_GOAL = 0.15  # seconds a document, both cores

_SAXON = """
import sys
from saxonche import PySaxonProcessor
with PySaxonProcessor(license=False) as processor:
    xslt = processor.new_xslt30_processor()
    executable = xslt.compile_stylesheet(stylesheet_file=sys.argv[1])
    executable.transform_to_file(source_file=sys.argv[2], output_file=sys.argv[3])
"""


def timed(command: Sequence[str], runs: int, before: object = None) -> tuple[float, float, set[int]]:
    """Median seconds, peak MiB and exit codes of ``runs`` runs of ``command``."""
    times, peak, codes = [], 0, set()
    for _ in range(runs):
        if callable(before):
            before()
        elapsed, rss, code = run_once(command, cwd=REPO)
        times.append(elapsed)
        peak = max(peak, rss)
        codes.add(code)
    return statistics.median(times), peak / 1024, codes


def pages(pdf: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return 0
    return len(PdfReader(pdf).pages) if pdf.is_file() else 0


def producers(pdfs: list[Path]) -> str:
    """Which engines made these PDFs ("Typst 404" or "Typst 400, WeasyPrint 4")."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return "?"
    counts: dict[str, int] = {}
    for pdf in pdfs:
        info: Any = PdfReader(pdf).metadata or {}
        made = f"{info.get('/Creator', '')} {info.get('/Producer', '')}"
        engine = "Typst" if "Typst" in made else "WeasyPrint" if "WeasyPrint" in made else "other"
        counts[engine] = counts.get(engine, 0) + 1
    return ", ".join(f"{engine} {count}" for engine, count in sorted(counts.items()))


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--weasyprint", action="store_true",
                        help="also the book and the document PDFs through WeasyPrint (~2 min each)")
    parser.add_argument("--skip-fop", action="store_true", help="no baseline (ratios are not shown)")
    parser.add_argument("--skip-units", action="store_true", help="no per-document PDFs row")
    args = parser.parse_args(argv)
    started_load = load()
    if not VOLUME.is_file() or not FO_XSL.is_file():
        print(f"needs {VOLUME} and {FO_XSL} (../shared beside the checkout)", file=sys.stderr)
        return 2
    rows: list[tuple[str, float, float, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="edition-print-bench-") as folder:
        work = Path(folder)
        fo, fop_pdf = work / "v.fo", work / "v.pdf"
        baseline = None
        if not args.skip_fop:
            if shutil.which("fop") is None:
                print("fop is not installed (Debian package fop; install.sh installs it)", file=sys.stderr)
                return 2
            xslt = timed([sys.executable, "-c", _SAXON, str(FO_XSL), str(VOLUME), str(fo)], args.runs)
            fop = timed(["fop", "-q", "-fo", str(fo), "-pdf", str(fop_pdf)], args.runs)
            baseline = xslt[0] + fop[0]
            rows.append(("TEI Stylesheets FO profile (saxonche)", xslt[0], xslt[1], "", ""))
            rows.append((f"Apache FOP ({pages(fop_pdf)} pages)", fop[0], fop[1], "", ""))
            rows.append(("TEI Stylesheets + FOP (baseline)", baseline, max(xslt[1], fop[1]), "1.00", ""))
        out = work / "book"

        def clean() -> None:
            shutil.rmtree(out, ignore_errors=True)

        book = timed([*EDITION, "build", "-f", "pdf", "--whole-pdf", "--no-unit-pdfs", "--full", "--out", str(out),
                      str(VOLUME)], args.runs, clean)
        book_pdf = out / "pdf" / f"{VOLUME.stem}.pdf"
        book_pages = pages(book_pdf)
        ratio = f"{book[0] / baseline:.2f}" if baseline else ""
        verdict = "ok" if baseline and book[0] <= BOOK_GOAL * baseline and book[1] < MEMORY_GOAL_MIB else (
            "SHORT" if baseline else "")
        rows.append((f"ours: the book, Typst ({book_pages} pages, PDF/UA-1)", book[0], book[1], ratio,
                     f"{verdict} (goal ≤ {BOOK_GOAL} and < {MEMORY_GOAL_MIB} MiB)"))
        if args.weasyprint:
            slow = timed([*EDITION, "build", "-f", "pdf", "--whole-pdf", "--no-unit-pdfs", "--pdf-engine",
                          "weasyprint", "--full", "--out", str(out), str(VOLUME)], args.runs, clean)
            ratio = f"{slow[0] / baseline:.2f}" if baseline else ""
            rows.append((f"ours: the book, WeasyPrint ({pages(book_pdf)} pages)", slow[0], slow[1], ratio, ""))
        engines = ("default", "weasyprint") if args.weasyprint else ("default",)
        for engine in () if args.skip_units else engines:
            chosen = [] if engine == "default" else ["--pdf-engine", engine]
            units = timed([*EDITION, "build", "-f", "pdf", "--no-whole-pdf", *chosen, "--full",
                           "--out", str(out), str(VOLUME)], args.runs, clean)
            made = sorted((out / "pdf").rglob("*.pdf"))
            each = units[0] / max(len(made), 1)
            name = f"default: {producers(made)}" if engine == "default" else engine
            rows.append((f"ours: {len(made)} document PDFs, {name}, 2 cores ({each:.3f} s each)", units[0],
                         units[1], "", f"{'ok' if each <= PER_DOCUMENT_GOAL else 'SHORT'} "
                         f"(goal ≤ {PER_DOCUMENT_GOAL} s each)"))
    print(f"Print edition of {VOLUME.name} (3.3 MB, 404 documents); median of {args.runs} run(s); "
          f"load average {started_load} before, {load()} after (2 cores)")
    print(f"{'row':58} {'seconds':>8} {'peak MiB':>9} {'ratio':>6}  goal")
    for title, seconds, peak, ratio, goal in rows:
        print(f"{title:58} {seconds:8.2f} {peak:9.0f} {ratio:>6}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
