"""Time our Schematron engine against SchXslt on Saxon (saxonche), in the same run.

    python bench/schematron_bench.py [--repeat 3]

The FRUS repository's five Schematron files (../shared/frus-repo/schema) on its volume
(../shared/frus-repo/volumes/frus1958-60v19.xml), each file on its own as in the reference
run of ../shared/frus-repo/README.md (frus.sch without its extends lines).  Each side does
the whole job, from files to findings:

- ours: load the volume, compile the schema, run it (``Schematron.load(…)(load(…))``);
- SchXslt + Saxon: compile SchXslt's pipeline-for-svrl.xsl (once per run, not timed), apply
  it to the schema, compile the XSLT it makes, apply that to the volume (SVRL).

Rows give the median of ``--repeat`` runs after one warm-up, the failed asserts each side
found and the ratio ours/reference; the total is over the files both can run (the reference
cannot compile frus-id-checks.sch: XPST0017, its function is not carried).  A last row runs
frus.sch whole (with the four files it extends), ours only.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from edition.document import load  # noqa: E402
from edition.schematron import Schematron  # noqa: E402

VOLUME = SHARED / "frus-repo" / "volumes" / "frus1958-60v19.xml"
SCHEMAS = SHARED / "frus-repo" / "schema"
SCHXSLT = SHARED / "bench" / "schxslt" / "pipeline-for-svrl.xsl"
FILES = ["frus.sch", "frus-signatures.sch", "frus-dates.sch", "frus-characters.sch", "frus-id-checks.sch"]
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def timed(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    run()  # warm-up
    times, found = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        found = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def ours(schema: Path) -> Callable[[], int]:
    def run() -> int:
        findings = list(Schematron.load(schema)(load(VOLUME)))
        return sum(1 for d in findings if getattr(d, "kind", "") == "assert")
    return run


def saxon_runner() -> Callable[[Path], Callable[[], int]] | None:
    try:
        from saxonche import PySaxonProcessor
    except ImportError:
        return None
    processor = PySaxonProcessor(license=False)
    xslt = processor.new_xslt30_processor()
    pipeline = xslt.compile_stylesheet(stylesheet_file=str(SCHXSLT))
    folder = Path(tempfile.mkdtemp(prefix="schxslt-"))

    def for_schema(schema: Path) -> Callable[[], int]:
        def run() -> int:
            compiled = folder / (schema.stem + ".xsl")
            compiled.write_text(pipeline.transform_to_string(source_file=str(schema)), encoding="utf-8")
            svrl = xslt.compile_stylesheet(stylesheet_file=str(compiled)).transform_to_string(source_file=str(VOLUME))
            return len(etree.fromstring(svrl.encode()).findall(f".//{SVRL}failed-assert"))
        return run
    return for_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not VOLUME.is_file():
        sys.exit(f"needs ../shared/frus-repo beside the checkout ({VOLUME})")
    folder = Path(tempfile.mkdtemp(prefix="schematron-bench-"))
    own = folder / "frus.sch"  # frus.sch as the reference runs it: without its extends lines
    own.write_text(re.sub(r"<extends href=[^>]*/>", "", (SCHEMAS / "frus.sch").read_text(encoding="utf-8")),
                   encoding="utf-8")
    saxon = saxon_runner()
    print(f"{'schema':<24} {'ours s':>8} {'asserts':>8} {'SchXslt s':>10} {'asserts':>8} {'ratio':>7}")
    total_ours = total_reference = 0.0
    for name in FILES:
        schema = own if name == "frus.sch" else SCHEMAS / name
        ours_time, ours_found = timed(ours(schema), args.repeat)
        reference = "-"
        reference_found: object = "-"
        ratio = "-"
        if saxon is not None:
            try:
                reference_time, reference_found = timed(saxon(schema), args.repeat)
            except Exception as error:  # noqa: BLE001 - the reference's own failure is a result
                reference_found = f"fails ({str(error).split(chr(10))[0][:40]}…)"
            else:
                reference = f"{reference_time:.2f}"
                ratio = f"{ours_time / reference_time:.2f}"
                total_ours += ours_time
                total_reference += reference_time
        print(f"{name:<24} {ours_time:>8.2f} {ours_found:>8} {reference:>10} {reference_found!s:>8} {ratio:>7}")
    if total_reference:
        print(f"{'total (both ran)':<24} {total_ours:>8.2f} {'':>8} {total_reference:>10.2f} {'':>8} "
              f"{total_ours / total_reference:>7.2f}")
    whole_time, whole_found = timed(ours(SCHEMAS / "frus.sch"), args.repeat)
    print(f"{'frus.sch with extends':<24} {whole_time:>8.2f} {whole_found:>8} {'-':>10} {'-':>8} {'-':>7}")


if __name__ == "__main__":
    main()
