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

Then the realistic XPath 3.1 set (``tests/xpath31_queries.py``, the queries
the oracle tests compare with Saxon), each on its corpus (memo, excerpt,
whole volume), two ways:

- process: ``edition query EXPR FILE`` (every hit located and printed)
  against a Python process that imports saxonche, parses the file,
  evaluates the query and prints each item's string value;
- in-process: a ``Query`` compiled once, ``Query.evaluate(document)``
  against ``PyXPathProcessor.evaluate`` on the parsed document.

It prints each query's ratios and the worst and median ratio of each way
(goals: ≤ 2× as processes, ≤ 5× in-process).  ``--set xpath31`` runs only it.
As processes, the wall-clock ratio is the goal's; the CPU ratio (user and
system time of each process and its threads) is also printed, since on a
busy machine wall-clock times wait for a core.  ``--before CMD`` times an
earlier ``edition`` command in the same runs (``--no-inprocess``: processes only).
"""

from __future__ import annotations

import argparse
import contextlib
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

sys.path.insert(0, str(REPO / "tests"))
from xpath31_queries import QUERIES as XPATH31  # noqa: E402

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
    for prefix in ("map", "array", "math"):  # XPath 3.1's prefixes; saxonche binds only fn and xs
        xpath.declare_namespace(prefix, f"http://www.w3.org/2005/xpath-functions/{prefix}")
    return processor, xpath


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--volume-docs", type=int, default=400)
    parser.add_argument("--no-elementpath", action="store_true", help="skip the elementpath reference column")
    parser.add_argument("--set", choices=("all", "xpath31"), default="all",
                        help="xpath31: only the realistic XPath 3.1 set")
    parser.add_argument("--process-repeat", type=int, default=3, help="runs of each process (median)")
    parser.add_argument("--skip", type=int, default=0, help="start the XPath 3.1 set at this query")
    parser.add_argument("--no-process", action="store_true", help="XPath 3.1 set: in-process timings only")
    parser.add_argument("--edition", default=str(Path(sys.executable).with_name("edition")),
                        help="XPath 3.1 set: the edition command timed as a process")
    parser.add_argument("--before", default="",
                        help="XPath 3.1 set: another edition command (an earlier version) timed in the same "
                             "runs, interleaved, for a before/after comparison")
    parser.add_argument("--no-inprocess", action="store_true", help="XPath 3.1 set: process timings only")
    options = parser.parse_args()
    if options.set == "xpath31":
        return xpath31_set(options)

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
                    "ours": lambda query=query, documents=documents: [query.evaluate(d) for d in documents],
                    "located": lambda query=query, documents=documents: [query(d) for d in documents],
                }
                if not options.no_elementpath:
                    slow = Query(expression, engine="elementpath")
                    assert [query(d) for d in documents] == [slow(d) for d in documents], expression
                    functions["elementpath"] = lambda slow=slow, documents=documents: [slow.evaluate(d)
                                                                                      for d in documents]
                if saxon is not None:
                    _, xpath = saxon

                    def run_saxon(xpath=xpath, documents=saxon_documents, expression=expression) -> None:
                        for document in documents:
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
    xpath31_set(options)
    return 0


SAXON_PROCESS = """
import sys
from saxonche import PySaxonProcessor
processor = PySaxonProcessor(license=False)
xpath = processor.new_xpath_processor()
xpath.declare_namespace("", "http://www.tei-c.org/ns/1.0")
for prefix in ("map", "array", "math"):
    xpath.declare_namespace(prefix, "http://www.w3.org/2005/xpath-functions/" + prefix)
xpath.set_context(xdm_item=processor.parse_xml(xml_file_name=sys.argv[1]))
result = xpath.evaluate(sys.argv[2])
for index in range(result.size if result is not None else 0):
    print(result.item_at(index).string_value)
"""


def _process_seconds(command: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, all its threads and children) of one run."""
    import resource
    import subprocess

    # an installed package has its bytecode compiled; with PYTHONDONTWRITEBYTECODE set (as in
    # some shells and containers) every run of ours would compile the modules changed since
    # their last .pyc, which Saxon's one-file script never pays: the warm-up run writes them
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=environment)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def xpath31_set(options: argparse.Namespace) -> int:
    """The realistic XPath 3.1 set: per-query ratios against Saxon, as processes and in-process."""
    saxon = saxon_runner()
    if saxon is None:
        print("saxonche is not installed: the XPath 3.1 set needs it as its baseline", file=sys.stderr)
        return 2
    files = {"memo": REPO / "tei" / "frus1958-60v19-d300.xml",
             "excerpt": SHARED / "corpus" / "frus" / "frus1958-60v19-d299-d302-context.xml",
             "volume": SHARED / "corpus" / "frus" / "frus1958-60v19.xml"}
    if not all(path.is_file() for path in files.values()):
        print("../shared/corpus is not beside this checkout; nothing to measure", file=sys.stderr)
        return 2
    processor, xpath = saxon
    documents = {name: load(path) for name, path in files.items()}
    saxon_documents = {name: processor.parse_xml(xml_file_name=str(path)) for name, path in files.items()}
    edition = options.edition
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nXPath 3.1 set: {len(XPATH31)} queries; process: median of {options.process_repeat} runs each, "
          f"interleaved; in-process: median of {options.repeat}; load average {busy:.1f}\n")
    before = options.before
    header = (f"| {'query':<34} | {'corpus':<7} | {'ours proc s':>11} | {'saxon proc s':>12} | {'proc ratio':>10} "
              f"| {'cpu ratio':>9} |" + (f" {'before ratio':>12} |" if before else "")
              + f" {'ours ms':>9} | {'saxon ms':>9} | {'in-proc ratio':>13} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    ratios: dict[str, list[tuple[float, str]]] = {"process": [], "process CPU": [], "before (process)": [],
                                                  "in-process": []}
    nan = float("nan")
    for label, corpus, expression in XPATH31[options.skip:]:
        path = str(files[corpus])
        # the command line a scholar types (the engine is "auto" by default)
        commands = {"ours": [edition, "query", expression, path],
                    "saxon": [sys.executable, "-c", SAXON_PROCESS, path, expression]}
        if before:
            commands["before"] = [before, "query", expression, path]
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        if not options.no_process:
            for name, command in commands.items():
                if name != "saxon":  # warm-up: the file in the page cache, the interpreter's .pyc
                    _process_seconds(command)
        for _ in range(0 if options.no_process else options.process_repeat):
            for name, command in commands.items():  # interleaved: a busy machine slows each alike
                wall, cpu = _process_seconds(command)
                walls[name].append(wall)
                cpus[name].append(cpu)
        document = documents[corpus]
        saxon_document = saxon_documents[corpus]
        cache: dict[str, Query] = {}

        def ours(expression: str = expression, document: Document = document,
                 cache: dict[str, Query] = cache) -> None:
            # compiled once (the first call); a query whose answer is an error (at compile time
            # or when evaluated) is timed to that error, on both sides
            with contextlib.suppress(ValueError):
                if expression not in cache:
                    cache[expression] = Query(expression)
                cache[expression].evaluate(document)

        def run_saxon(document: object = saxon_document, expression: str = expression) -> None:
            xpath.set_context(xdm_item=document)
            with contextlib.suppress(Exception):  # saxonche's PySaxonApiError: the same error as ours
                xpath.evaluate(expression)

        times = ({"ours": nan, "saxon": nan} if options.no_inprocess
                 else medians({"ours": ours, "saxon": run_saxon}, options.repeat))

        def median(values: list[float]) -> float:
            return statistics.median(values) if values else nan

        ours_p, saxon_p = median(walls["ours"]), median(walls["saxon"])
        ratio_p = ours_p / saxon_p
        ratio_cpu = median(cpus["ours"]) / median(cpus["saxon"]) if cpus["saxon"] else nan
        ratio_before = median(walls.get("before", [])) / saxon_p if before else nan
        ratio_i = times["ours"] / max(times["saxon"], 1e-4)  # below 0.1 ms a timer's noise decides
        ratios["process"].append((ratio_p, label))
        ratios["process CPU"].append((ratio_cpu, label))
        ratios["before (process)"].append((ratio_before, label))
        ratios["in-process"].append((ratio_i, label))
        print(f"| {label[:34]:<34} | {corpus:<7} | {ours_p:>11.3f} | {saxon_p:>12.3f} | {ratio_p:>9.2f}× "
              f"| {ratio_cpu:>8.2f}× |" + (f" {ratio_before:>11.2f}× |" if before else "")
              + f" {times['ours'] * 1e3:>9.2f} | {times['saxon'] * 1e3:>9.2f} | {ratio_i:>12.2f}× |")
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nload average at the end {busy:.1f}")
    for name, found in ratios.items():
        found = [(r, label) for r, label in found if r == r]  # no NaN (a way not measured)
        if not found:
            continue
        worst = max(found)
        print(f"{name}: median {statistics.median(r for r, _ in found):.2f}×, worst {worst[0]:.2f}× "
              f"({worst[1]}), over 2×: {sum(r > 2 for r, _ in found)}, over 5×: {sum(r > 5 for r, _ in found)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
