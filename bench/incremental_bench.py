"""Benchmark: an incremental rebuild of many small unchanged files against a full build.

Generates N small TEI files (default 5,000, a few paragraphs each), builds them once,
then times, as whole ``edition build`` processes (start-up included):

- the full build (``--full``), the baseline measured in the same run;
- the incremental rebuild with nothing changed;
- the incremental rebuild after one file changed.

Each row: the median of ``--runs`` runs after the first build, and its ratio to the
full build's median.  The goal (issue 18): an unchanged rebuild at most 10% of a full one.

    .venv/bin/python bench/incremental_bench.py                 # 5,000 files, html + text + cite
    .venv/bin/python bench/incremental_bench.py --files 1000 --runs 3 -f text
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_EDITION = REPO / ".venv" / "bin" / "edition"
EDITION = [str(VENV_EDITION)] if VENV_EDITION.exists() else [sys.executable, "-m", "edition"]
GOAL = 0.10

TEMPLATE = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>
<title>Letter {n}</title><author>Writer {n}</author></titleStmt><publicationStmt><publisher>Bench</publisher>
<pubPlace>Here</pubPlace><date when="2020-01-01">2020</date></publicationStmt><sourceDesc><p>Generated.</p>
</sourceDesc></fileDesc></teiHeader><text><body><div xml:id="l{n}" type="letter"><head>Letter {n}</head>
<p>Dear <persName>Friend {m}</persName>, this is letter {n},
written on <date when="2020-01-{d:02}">January {d}</date>.</p>
<p>It says little: {words}.</p></div></body></text></TEI>
"""


def generate(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for number in range(count):
        words = " ".join(f"word{(number * 7 + i) % 97}" for i in range(40))
        (folder / f"letter-{number:05}.xml").write_text(
            TEMPLATE.format(n=number, m=number % 50, d=number % 28 + 1, words=words), encoding="utf-8")


def run(arguments: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(EDITION + arguments, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"edition {' '.join(arguments)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-f", "--format", dest="formats", action="append", default=None,
                        help="outputs to build (default: html, text, cite)")
    args = parser.parse_args()
    formats = args.formats or ["html", "text", "cite"]
    with tempfile.TemporaryDirectory(prefix="edition-incremental-bench-") as scratch:
        sources = Path(scratch) / "tei"
        out = Path(scratch) / "out"
        generate(sources, args.files)
        common = ["build", *[item for name in formats for item in ("-f", name)], "--out", str(out), str(sources)]
        first = run(common + ["--full"])
        print(f"first build of {args.files:,} files: {first:.2f} s", file=sys.stderr)
        rows: dict[str, list[float]] = {"full build (baseline)": [], "incremental, nothing changed": [],
                                        "incremental, one file changed": []}
        for number in range(args.runs):
            rows["full build (baseline)"].append(run(common + ["--full"]))
            run(common)  # the manifest of a full build is the one every incremental build starts from
            rows["incremental, nothing changed"].append(run(common))
            changed = sources / f"letter-{number:05}.xml"
            changed.write_text(changed.read_text(encoding="utf-8").replace("little", "more"), encoding="utf-8")
            rows["incremental, one file changed"].append(run(common))
        baseline = statistics.median(rows["full build (baseline)"])
        print(f"\n{args.files:,} small files, outputs {', '.join(formats)}, median of {args.runs} runs")
        print(f"{'build':<34} {'median s':>9} {'ratio':>7}")
        for label, times in rows.items():
            median = statistics.median(times)
            print(f"{label:<34} {median:>9.2f} {median / baseline:>7.3f}")
        unchanged = statistics.median(rows["incremental, nothing changed"]) / baseline
        print(f"\ngoal: nothing changed <= {GOAL:.0%} of a full build: {'met' if unchanged <= GOAL else 'NOT met'} "
              f"({unchanged:.1%})")


if __name__ == "__main__":
    main()
