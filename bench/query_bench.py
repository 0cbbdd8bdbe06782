"""Time the query set on the FRUS corpora against saxonche, measured in the same run.

    python bench/query_bench.py [--repeat 5] [--volume-docs 400]

Two corpora: the 63 frus-history documents (each query run on every file,
times summed), and a FRUS-size volume built in a temporary folder from the
documents of ../shared/corpus/frus/frus1958-60v19.xml with fresh xml:ids.
Documents are parsed before timing, by both sides.  For each query the
table gives medians (after one warm-up) of:

- ours: ``Query.evaluate`` (the engine's result: what saxonche computes);
- ours+loc: ``Query(document)``: hits with file, ref, line, column, XPath;
- elementpath: the same expression forced through elementpath (reference);
- saxonche: ``PyXPathProcessor.evaluate`` with TEI as default namespace;

and the ratios ours/saxonche and ours+loc/saxonche (goal: each within 2×).
The runs of all columns interleave, so a busy machine slows them alike.
Without saxonche (pip install saxonche) its columns say so and the rest runs.
"""

from __future__ import annotations

import argparse
import copy
import locale
import os
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

from edition.document import TEI_NS, XML_ID, Document, load  # noqa: E402
from edition.query import Query  # noqa: E402

QUERIES = [
    ("count persName", "count(//persName)"),
    ("p containing Khrushchev", "//p[contains(., 'Khrushchev')]"),
    ("distinct persName/@corresp", "distinct-values(//persName/@corresp)"),
    ("documents dated 1959", "//div[@type = 'document'][.//dateline[contains(., '1959')]]"),
    ("string-join of notes", "string-join(//note, ' ')"),
]


def build_volume(source: Path, folder: Path, documents: int) -> Path:
    """A volume of ``documents`` document divisions copied from ``source``, every
    xml:id (and every ``#id`` pointer to it) made fresh for each repetition."""
    tree = etree.parse(str(source), etree.XMLParser(resolve_entities=False, no_network=True))
    root = tree.getroot()
    originals = root.findall(f".//{{{TEI_NS}}}div[@type='document']")
    body = root.find(f"{{{TEI_NS}}}text/{{{TEI_NS}}}body")
    text = root.find(f"{{{TEI_NS}}}text")
    for child in list(text):
        text.remove(child)
    body = etree.SubElement(text, f"{{{TEI_NS}}}body")
    for number in range(documents):
        round_, original = divmod(number, len(originals))
        division = copy.deepcopy(originals[original])
        ids = {}
        for element in division.iter():
            old = element.get(XML_ID) if isinstance(element.tag, str) else None
            if old is not None:
                ids[old] = f"{old}-r{round_ + 1}"
                element.set(XML_ID, ids[old])
        for element in division.iter():
            if not isinstance(element.tag, str):
                continue
            for name, value in element.attrib.items():
                if name != XML_ID and value.startswith("#") and value[1:] in ids:
                    element.set(name, "#" + ids[value[1:]])
        division.tail = "\n"
        body.append(division)
    path = folder / "frus-volume-bench.xml"
    tree.write(str(path), encoding="UTF-8", xml_declaration=True)
    return path


def medians(functions: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds of each function; the runs interleave (one of each per round) so
    that a busy machine slows every column alike."""
    for function in functions.values():
        function()  # warm-up: compiled queries, the name index, the elementpath node tree
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def saxon_runner():
    try:
        from saxonche import PySaxonProcessor
    except ImportError:
        return None
    processor = PySaxonProcessor(license=False)
    # Saxon's start-up sets LC_COLLATE to C.UTF-8, which Python's getlocale() reads as
    # en_US.UTF-8; elementpath then fails restoring that locale after contains().
    locale.setlocale(locale.LC_COLLATE, "C")
    xpath = processor.new_xpath_processor()
    xpath.declare_namespace("", TEI_NS)
    return processor, xpath


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--volume-docs", type=int, default=400)
    parser.add_argument("--no-elementpath", action="store_true", help="skip the elementpath reference column")
    options = parser.parse_args()

    history = SHARED / "corpus" / "frus-history-documents"
    volume_source = SHARED / "corpus" / "frus" / "frus1958-60v19.xml"
    if not history.is_dir() or not volume_source.is_file():
        print("../shared/corpus is not beside this checkout; nothing to measure", file=sys.stderr)
        return 2

    saxon = saxon_runner()
    if saxon is None:
        print("saxonche is not installed (pip install saxonche): its columns are skipped", file=sys.stderr)

    with tempfile.TemporaryDirectory() as temporary:
        volume_path = build_volume(volume_source, Path(temporary), options.volume_docs)
        corpora: list[tuple[str, list[Path]]] = [
            ("63 history docs", sorted(history.glob("*.xml"))),
            (f"volume {options.volume_docs} docs", [volume_path]),
        ]
        size = volume_path.stat().st_size
        print(f"volume built: {options.volume_docs} documents, {size / 1e6:.1f} MB (fresh xml:ids)")
        busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"median of {options.repeat} interleaved runs after a warm-up; documents parsed before "
              f"timing; load average {busy:.1f} on {os.cpu_count()} cores\n")
        header = (f"| {'query':<28} | {'corpus':<17} | {'engine':<6} | {'ours ms':>8} | {'ours+loc ms':>11} "
                  f"| {'elementpath ms':>14} | {'saxonche ms':>11} | {'ours/sax':>8} | {'+loc/sax':>8} |")
        print(header)
        print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
        for corpus_name, paths in corpora:
            documents: list[Document] = [load(path) for path in paths]
            saxon_documents = []
            if saxon is not None:
                processor, _ = saxon
                saxon_documents = [processor.parse_xml(xml_file_name=str(path)) for path in paths]
            for label, expression in QUERIES:
                query = Query(expression)
                functions: dict[str, Callable[[], object]] = {
                    "ours": lambda: [query.evaluate(d) for d in documents],
                    "located": lambda: [query(d) for d in documents],
                }
                if not options.no_elementpath:
                    slow = Query(expression, engine="elementpath")
                    assert [query(d) for d in documents] == [slow(d) for d in documents], expression
                    functions["elementpath"] = lambda: [slow.evaluate(d) for d in documents]
                if saxon is not None:
                    _, xpath = saxon

                    def run_saxon() -> None:
                        for document in saxon_documents:
                            xpath.set_context(xdm_item=document)
                            xpath.evaluate(expression)

                    functions["saxon"] = run_saxon
                times = medians(functions, options.repeat)
                nan = float("nan")
                saxon_time = times.get("saxon", nan)
                print(f"| {label:<28} | {corpus_name:<17} | {query.engine:<6} | {times['ours'] * 1e3:>8.2f} "
                      f"| {times['located'] * 1e3:>11.2f} | {times.get('elementpath', nan) * 1e3:>14.1f} "
                      f"| {saxon_time * 1e3:>11.2f} | {times['ours'] / saxon_time:>7.2f}× "
                      f"| {times['located'] / saxon_time:>7.2f}× |")
    print("\nours = Query.evaluate (the result); ours+loc = Query(document), every hit located;"
          " elementpath = the same query forced through elementpath (results asserted equal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
