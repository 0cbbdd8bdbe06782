"""Benchmark: validate and build on the memo, the FRUS excerpt, the 63 frus-history
documents and the whole FRUS volume, against jing in the same run.

Run from the repository root (after ./install.sh):

    .venv/bin/python bench/bench.py            # 5 runs per row after a warm-up
    .venv/bin/python bench/bench.py --runs 3 --only validate

Every row times a whole command in a fresh process (as a user runs it, and as
jing is run), so start-up is included on both sides.  It prints the median
wall time, the ratio against the row's baseline measured in the same run,
and the peak resident memory of the measured process.  The query set against
saxonche is bench/query_bench.py.  Per the developers' guide, the "FRUS-size
volume" is the real one: ../shared/corpus/frus/frus1958-60v19.xml (3.3 MB,
404 documents).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EDITION = [sys.executable, "-m", "edition.cli"] if not (REPO / ".venv/bin/edition").exists() else \
    [str(REPO / ".venv/bin/edition")]
TEI_ALL_RNG = SHARED / "tei-p5" / "tei_all.rng"


@dataclass
class Measure:
    median: float
    runs: list[float]
    peak_mib: float
    exit_codes: set[int]


def measure(command: list[str], runs: int, cwd: Path = REPO) -> Measure:
    """Median wall time of a command over ``runs`` runs after one warm-up, and its peak RSS."""
    times: list[float] = []
    peak = 0
    codes: set[int] = set()
    for attempt in range(runs + 1):
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        codes.add(process.returncode)
        if attempt:  # the first run warms caches (files, compiled schemas on disk)
            times.append(elapsed)
            peak = max(peak, usage.ru_maxrss)
    return Measure(statistics.median(times), times, peak / 1024, codes)


def inputs() -> dict[str, list[Path]]:
    corpus = SHARED / "corpus"
    return {
        "memo": [REPO / "tei" / "frus1958-60v19-d300.xml"],
        "FRUS excerpt": [corpus / "frus" / "frus1958-60v19-d299-d302-context.xml"],
        "63 documents": [corpus / "frus-history-documents"],
        "FRUS volume 3.3 MB": [corpus / "frus" / "frus1958-60v19.xml"],
    }


def jing_command(paths: list[Path]) -> list[str]:
    files: list[str] = []
    for path in paths:
        files.extend(sorted(str(p) for p in path.rglob("*.xml")) if path.is_dir() else [str(path)])
    return ["jing", str(TEI_ALL_RNG), *files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["validate", "build", "pdf"], action="append")
    args = parser.parse_args()
    if not SHARED.is_dir():
        print("bench: ../shared (the corpora and tei_all) is not beside this checkout", file=sys.stderr)
        return 2
    sections = args.only or ["validate", "build", "pdf"]
    rows: list[tuple[str, str, Measure, str, float | None]] = []
    have_jing = shutil.which("jing") is not None
    scratch = Path(tempfile.mkdtemp(prefix="edition-bench-"))
    try:
        for label, paths in inputs().items():
            names = [str(p) for p in paths]
            if "validate" in sections:
                baseline = measure(jing_command(paths), args.runs) if have_jing else None
                if baseline:
                    rows.append((label, "jing tei_all.rng (baseline)", baseline, "", None))
                for title, extra in (("edition validate (ours + rules)", []),
                                     ("edition validate --tei-all", ["--tei-all"])):
                    result = measure([*EDITION, "validate", *extra, *names], args.runs)
                    ratio = result.median / baseline.median if baseline else None
                    rows.append((label, title, result, "jing", ratio))
            if "build" in sections:
                out = scratch / "build"
                result = measure([*EDITION, "build", "--out", str(out), "-f", "html", "-f", "text",
                                  "-f", "cite", *names], args.runs)
                rows.append((label, "edition build (html + text + cite)", result, "goal 1.1 s" if
                             "volume" in label else "", result.median / 1.1 if "volume" in label else None))
            if "pdf" in sections and label in ("memo", "FRUS excerpt"):
                out = scratch / "pdf"
                result = measure([*EDITION, "build", "--out", str(out), "-f", "pdf", *names], max(1, args.runs // 2))
                rows.append((label, "edition build -f pdf", result, "", None))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'input':20} {'command':38} {'median s':>9} {'ratio':>7} {'vs':>10} {'peak MiB':>9} {'exit':>5}")
    print("-" * 104)
    for label, title, result, against, ratio in rows:
        ratio_text = f"{ratio:.2f}x" if ratio is not None else ""
        codes = ",".join(str(c) for c in sorted(result.exit_codes))
        print(f"{label:20} {title:38} {result.median:9.3f} {ratio_text:>7} {against:>10} "
              f"{result.peak_mib:9.1f} {codes:>5}")
    print(f"\nmedians of {args.runs} runs after one warm-up; exit 1 on validate means findings were reported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
