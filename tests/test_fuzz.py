"""Property-based fuzzing: mutated TEI never makes the toolkit crash.

Hypothesis mutates the memo and a few corpus files, in their structure
(delete, duplicate, swap or move elements; insert text with markup-like
characters; add hostile attributes) and in their bytes (truncate, flip,
insert, delete), then runs validate, query, cite and build (into a
temporary folder) through the library.  The property: nothing but our
EditionError family escapes, and every outcome is diagnostics.

The default run does a few hundred cases; ``pytest -m fuzz`` runs 10,000
and writes its numbers to test-artifacts/fuzz-stats-long.json (the default run to
fuzz-stats-default.json), every 250 cases and at the end.
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from edition.diagnostics import Diagnostic, EditionError
from edition.document import load

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: The seeds: our memo, the hostile-markup fixture, and (when ../shared is
#: beside the checkout) a few real FRUS files of different shapes.
SEED_PATHS = [REPO / "tei" / "frus1958-60v19-d300.xml",
              REPO / "tests" / "hostile" / "output" / "hostile-markup.xml"]
SEED_PATHS += sorted((SHARED / "corpus" / "frus-history-documents").glob("*.xml"))[:3]
SEED_PATHS += [SHARED / "corpus" / "frus" / "frus1958-60v19-d299-d302-context.xml"]
SEEDS = {path.name: path.read_bytes() for path in SEED_PATHS if path.is_file()}

#: Text that looks like markup, escapes, odd characters and big numbers.
NASTY = ["<", ">", "&", "&amp;", "&lt;script&gt;", '"', "'", "]]>", "<!--", "-->", "<?", "?>",
         "\u0000", "\u0001", "\ufffe", "\ud800", "\u202e", "\u200b", "é", "中", "😀", "\t", "\r\n",
         "javascript:alert(1)", "data:text/html,x", "#", "#d300", "d300.p4", "{", "}", "$", "\\",
         "..", "../", "/etc/passwd", "http://127.0.0.1:9/", "%s", "9" * 30, "-1", " ", ""]
ATTRIBUTES = ["{http://www.w3.org/XML/1998/namespace}id", "{http://www.w3.org/XML/1998/namespace}lang",
              "target", "ref", "corresp", "when", "notBefore", "notAfter", "from", "to", "n", "rend",
              "style", "rendition", "facs", "url", "type", "place", "match", "use", "delim", "unit",
              "onclick", "href", "key"]
TAGS = ["p", "div", "note", "pb", "lb", "ref", "ptr", "persName", "placeName", "date", "hi", "choice",
        "sic", "corr", "head", "list", "item", "table", "row", "cell", "graphic", "figure", "citeStructure",
        "refsDecl", "TEI", "teiHeader", "text", "body", "script", "unknownThing"]

text_strategy = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=5).map("".join)


def _xml_safe(text: str) -> str:
    """lxml refuses to *store* characters XML forbids; serialised bytes can still carry them."""
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c > "\uffff")


@st.composite
def tree_mutation(draw: st.DrawFn, root: etree._Element) -> None:
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    target = draw(st.sampled_from(elements))
    kind = draw(st.sampled_from(["delete", "duplicate", "swap", "move", "text", "tail", "attribute",
                                 "drop-attribute", "insert", "rename", "wrap"]))
    parent = target.getparent()
    if kind == "delete" and parent is not None:
        parent.remove(target)
    elif kind == "duplicate" and parent is not None:
        from copy import deepcopy
        parent.insert(parent.index(target), deepcopy(target))
    elif kind == "swap" and parent is not None:
        other = draw(st.sampled_from(elements))
        other_parent = other.getparent()
        if other_parent is not None and other is not target and target not in other.iterancestors() \
                and other not in target.iterancestors():
            i, j = parent.index(target), other_parent.index(other)
            placeholder = etree.Element("placeholder")
            parent.replace(target, placeholder)
            other_parent.replace(other, target)
            parent.replace(placeholder, other)
            del i, j
    elif kind == "move" and parent is not None:
        destination = draw(st.sampled_from(elements))
        if destination is not target and target not in destination.iterancestors():
            destination.append(target)
    elif kind == "text":
        target.text = _xml_safe(draw(text_strategy))
    elif kind == "tail" and parent is not None:
        target.tail = _xml_safe(draw(text_strategy))
    elif kind == "attribute":
        target.set(draw(st.sampled_from(ATTRIBUTES)), _xml_safe(draw(text_strategy)))
    elif kind == "drop-attribute" and target.attrib:
        del target.attrib[draw(st.sampled_from(sorted(target.attrib)))]
    elif kind == "insert":
        new = etree.SubElement(target, f"{{http://www.tei-c.org/ns/1.0}}{draw(st.sampled_from(TAGS))}")
        new.text = _xml_safe(draw(text_strategy))
    elif kind == "rename":
        target.tag = f"{{http://www.tei-c.org/ns/1.0}}{draw(st.sampled_from(TAGS))}"
    elif kind == "wrap" and parent is not None:
        wrapper = etree.Element(f"{{http://www.tei-c.org/ns/1.0}}{draw(st.sampled_from(TAGS))}")
        parent.replace(target, wrapper)
        wrapper.append(target)


@st.composite
def mutated_file(draw: st.DrawFn) -> tuple[str, bytes]:
    """A seed file with a few structural and/or byte-level mutations."""
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = SEEDS[name]
    if draw(st.booleans()):
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True,
                                                      collect_ids=False))
        for _ in range(draw(st.integers(1, 6))):
            draw(tree_mutation(root))
        data = etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
        # Duplicating an ancestor of a duplicate doubles the file each time: a 400 KB seed can
        # reach 25 MB, where elementpath's node tree alone takes minutes.  Big inputs have
        # their own tests (tests/test_hostile.py); here the cases stay small and many.
        assume(len(data) <= 2 * len(SEEDS[name]) + 65_536)
    for _ in range(draw(st.integers(0 if data is not SEEDS[name] else 1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "truncate":
            data = data[:at]
        elif kind == "flip":
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1:]
        elif kind == "insert":
            piece = draw(st.one_of(st.binary(max_size=8), st.sampled_from(NASTY).map(
                lambda s: s.encode("utf-8", "surrogatepass"))))
            data = data[:at] + piece + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)):]
        else:  # a slice of the file copied elsewhere (duplicated tags, half elements)
            end = min(len(data), at + draw(st.integers(1, 200)))
            where = draw(st.integers(0, len(data)))
            data = data[:where] + data[at:end] + data[where:]
    return name, data


# -- the property --------------------------------------------------------------------

STATS: Counter[str] = Counter()
#: Which run the numbers belong to: "default" (a few hundred cases) or "long" (-m fuzz).
PROFILE = ["default"]
#: The cases' folder, made by the first case: collecting this file (``-m "not fuzz"``, ``-k``)
#: without running it leaves no folder behind.
_WORK: list[Path] = []


def _work() -> Path:
    if not _WORK:
        _WORK.append(Path(tempfile.mkdtemp(prefix="edition-fuzz-")))
    return _WORK[0]


def _diagnostics_only(items: object) -> None:
    for item in items:  # type: ignore[attr-defined]
        assert isinstance(item, Diagnostic), item


def exercise(name: str, data: bytes) -> None:
    """Run every command's library entry on ``data``: only EditionErrors may escape."""
    from edition.build import build
    from edition.cite import cite
    from edition.query import Plan, run_files
    from edition.validate import validate

    source = _work() / "in" / Path(name).name
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(data)
    STATS["cases"] += 1
    try:
        report = validate([source], jobs=1)
        _diagnostics_only(report.diagnostics)
        STATS["validate-clean" if report.ok else "validate-findings"] += 1
    except EditionError:
        STATS["validate-raised"] += 1
    # one expression for each engine: lxml (XPath 1.0) and elementpath (XPath 3.1)
    for expression in ("//persName/@ref", "//p ! string-length(.)"):
        try:
            for result in run_files(Plan(expression), [source], jobs=1):
                _diagnostics_only(result.diagnostics)
                STATS["query-hits"] += len(result.hits)
                for hit in result.hits:
                    str(hit.value)
        except EditionError:
            STATS["query-raised"] += 1
    try:
        document = load(source)
    except EditionError:
        STATS["refused-at-load"] += 1
        document = None
    refs = ["d300.p4", "x.p999"]
    if document is not None:
        refs = [unit.ref for unit in list(document.citer.units)[:2]] + refs
    for ref in refs:
        try:
            cited = cite(ref, [source])
            _diagnostics_only(cited.notices)
            STATS["cite-resolved"] += 1
        except EditionError:
            STATS["cite-refused"] += 1
    try:
        built = build([source], out=_work() / "site" / "edition", formats=["html", "text"], jobs=1)
        _diagnostics_only(built.diagnostics)
        STATS["build-done"] += 1
    except EditionError:
        STATS["build-refused"] += 1
    if STATS["cases"] % 250 == 0:
        _write_numbers()
    # A full collection (the collector's own, as objects pile up) walks every object
    # alive: hypothesis's record of the examples grows with each case, so that after
    # a few hundred cases the collector's walks were most of a case's time.  What this case
    # left is collected here (only objects made since the last freeze are walked) and what
    # survives it, hypothesis's state, is set aside from later collections.  What was set
    # aside and has died since (cycles only the collector frees) is freed every 250 cases.
    if STATS["cases"] % 250 == 0:
        gc.unfreeze()
    gc.collect()
    gc.freeze()


FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=10_000, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@FAST
@given(mutated_file())
def test_mutations_never_crash(case: tuple[str, bytes]) -> None:
    exercise(*case)


@pytest.mark.fuzz
@LONG
@given(mutated_file())
def test_mutations_never_crash_long_run(case: tuple[str, bytes]) -> None:
    PROFILE[0] = "long"
    exercise(*case)


_STARTED = time.perf_counter()


def _write_numbers() -> None:
    """The run's numbers (cases, outcomes, seconds) for the closing note, also as it goes."""
    folder = REPO / "test-artifacts"
    folder.mkdir(exist_ok=True)
    record = {"seeds": sorted(SEEDS), "seconds": round(time.perf_counter() - _STARTED, 1), **STATS}
    (folder / f"fuzz-stats-{PROFILE[0]}.json").write_text(json.dumps(record, indent=1) + "\n")


@pytest.fixture(scope="module", autouse=True)
def _report_numbers():
    yield
    gc.unfreeze()
    if STATS["cases"]:
        _write_numbers()
    for folder in _WORK:
        shutil.rmtree(folder, ignore_errors=True)
