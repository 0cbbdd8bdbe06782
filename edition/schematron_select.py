"""Which Schematron runs on a document, and SVRL for the tools that want it.

A run's :class:`SchematronOptions` names the files given with ``--schematron``; a document's
own ``<?xml-model … schematypens="http://purl.oclc.org/dsdl/schematron"?>`` adds its local
schema (a ``.sch``, or the Schematron embedded in a ``.rng`` or ``.odd``); ``--tei-all`` adds
the TEI's own constraints (every ``constraintSpec`` of ``p5subset.xml``), and our schema adds
the constraints of our ODD (``schema/edition.odd``).  Compiled schemas are kept per process,
keyed by file, size and time, so a run over a corpus compiles each once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from lxml import etree

from .diagnostics import Diagnostic, EditionUsageError
from .schematron_findings import SchematronError

if TYPE_CHECKING:
    from .document import Document
    from .schematron import Schematron

# The compiler (elementpath's XPath 3.1, 0.35 s to import) is imported when a schema is
# compiled: a run whose only Schematron is the TEI's, planned and cached, never needs it.
SCH = "http://purl.oclc.org/dsdl/schematron"

TEI_NS = "http://www.tei-c.org/ns/1.0"
SVRL = "http://purl.oclc.org/dsdl/svrl"
#: The prefixes the TEI's generated Schematron declares for its constraints.
TEI_CONSTRAINT_NAMESPACES = {"tei": TEI_NS, "xs": "http://www.w3.org/2001/XMLSchema",
                             "rng": "http://relaxng.org/ns/structure/1.0", "sch": SCH,
                             "sqf": "http://www.schematron-quickfix.com/validator/process",
                             "xi": "http://www.w3.org/2001/XInclude"}


@dataclass(frozen=True)
class SchematronOptions:
    """The Schematron layer of a validation run (picklable: worker processes compile their own)."""

    files: tuple[str, ...] = ()
    phase: str | None = None
    enabled: bool = True
    tei_constraints: bool = False
    our_constraints: bool = False
    seconds: float | None = None


_COMPILED: dict[tuple[str, ...], Schematron] = {}


def _key(path: Path, kind: str) -> tuple[str, ...]:
    stat = path.stat()
    return (kind, str(path.resolve()), str(stat.st_size), str(stat.st_mtime_ns))


def compiled(path: Path, kind: str = "sch") -> Schematron:
    """The schema of a ``.sch`` file, or the Schematron embedded in (``kind="embedded"``) or
    declared by (``kind="odd"``) another file; compiled once per process."""
    try:
        key = _key(path, kind)
    except OSError:
        raise SchematronError(Diagnostic.make("E0705", f"Schematron {path} cannot be read", path=str(path))) from None
    found = _COMPILED.get(key)
    if found is None:
        from .schematron import Schematron

        if kind == "sch":
            found = Schematron.load(path)
        else:
            found = Schematron.from_element(_odd_schema(path) if kind == "odd" else _embedded(path), str(path), path)
        _COMPILED[key] = found
    return found


def check_files(files: Iterable[str | os.PathLike[str]]) -> None:
    """Compile the given schemas before any work starts: a broken one is a usage error (exit 2)."""
    for file in files:
        try:
            compiled(Path(file))
        except SchematronError as error:
            raise EditionUsageError(error.diagnostic) from None


def iter_schematron_problems(document: Document, options: SchematronOptions | None) -> Iterator[Diagnostic]:
    """Every Schematron finding for one document under ``options``."""
    if options is None or not options.enabled:
        return
    schemas: list[Schematron] = []
    problems: list[Diagnostic] = []
    for file in options.files:
        schemas.append(compiled(Path(file)))
    for found in _xml_model(document, problems):
        schemas.append(found)
    odds: list[Path] = []
    if options.tei_constraints:
        from .resources import tei_p5_dir
        odds.append(tei_p5_dir() / "p5subset.xml")
    if options.our_constraints:
        from .resources import schema_dir
        odds.append(schema_dir() / "edition.odd")
    yield from problems
    for schema in schemas:
        try:
            yield from schema(document, options.phase if schema.path in options.files else None, options.seconds)
        except SchematronError as error:
            yield error.diagnostic
    for source in odds:
        try:
            yield from _odd_constraint_problems(document, source, options.seconds)
        except SchematronError as error:
            yield error.diagnostic


def _odd_constraint_problems(document: Document, source: Path, seconds: float | None) -> list[Diagnostic]:
    """The constraints of an ODD (every constraintSpec of p5subset.xml for --tei-all, of ours
    for our schema), from their XPath 1.0 plan; the patterns that have none run on elementpath
    (:mod:`edition.schematron_tei`)."""
    from .schematron_tei import plan_for, run_plan

    try:
        plan = plan_for(source, lambda: compiled(source, "odd"))
    except OSError:
        compiled(source, "odd")  # raises the E0705 that names the unreadable file
        raise

    def fallback(indexes: list[int]) -> tuple[dict[int, list[Diagnostic]], list[Diagnostic]]:
        from .schematron_run import run_patterns
        return run_patterns(compiled(source, "odd"), document, indexes, seconds)

    return run_plan(plan, document, fallback)


def _xml_model(document: Document, problems: list[Diagnostic]) -> Iterator[Schematron]:
    node = document.root.getprevious()
    pis = []
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            pis.append(node)
        node = node.getprevious()
    grammars = {pi.get("href") for pi in pis if SCH not in (pi.get("schematypens") or "")}
    for pi in reversed(pis):
        href = pi.get("href")
        if not href or SCH not in (pi.get("schematypens") or ""):
            continue
        parsed = urlparse(href)
        line = pi.sourceline or 0
        if parsed.scheme not in ("", "file") and href in grammars:
            # the TEI's boilerplate names one remote tei_all.rng twice, as grammar and as
            # Schematron: the schema layer reports that file (W0108) when a schema runs
            continue
        if parsed.scheme not in ("", "file"):
            problems.append(Diagnostic.make("W0108", f"<?xml-model?> names the Schematron {href}, which is not "
                                            "a local file and is never fetched; not run",
                                            path=document.path, line=line, column=1))
            continue
        base = Path(document.path).parent if not document.path.startswith("<") else Path.cwd()
        target = Path(unquote(parsed.path))
        target = target if target.is_absolute() else base / target
        kind = "sch" if target.suffix.lower() == ".sch" else "odd" if target.suffix.lower() == ".odd" else "embedded"
        try:
            yield compiled(target, kind)
        except SchematronError as error:
            problems.append(Diagnostic.make("E0705", f"<?xml-model?> names the Schematron {href}: "
                                            f"{error.diagnostic.message}", path=document.path, line=line, column=1))


def _read(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, remove_comments=True,
                             huge_tree=False)
    try:
        return etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as error:
        raise SchematronError(Diagnostic.make("E0705", f"{path} cannot be read as XML: {error}",
                                              path=str(path))) from None


def _schema_element(binding: str = "xslt2") -> etree._Element:
    return etree.Element(f"{{{SCH}}}schema", queryBinding=binding, nsmap={None: SCH})


def _ns(schema: etree._Element, prefix: str, uri: str) -> None:
    if not any(ns.get("prefix") == prefix for ns in schema.iter(f"{{{SCH}}}ns")):
        etree.SubElement(schema, f"{{{SCH}}}ns", prefix=prefix, uri=uri)


def _embedded(path: Path) -> etree._Element:
    """The Schematron embedded in a RELAX NG grammar (or any XML): its ns, let and pattern elements."""
    source = _read(path)
    schema = _schema_element()
    for ns in source.iter(f"{{{SCH}}}ns"):
        _ns(schema, ns.get("prefix", ""), ns.get("uri", ""))
    for element in source.iter(f"{{{SCH}}}pattern", f"{{{SCH}}}let", f"{{{SCH}}}phase", f"{{{SCH}}}diagnostics"):
        if element.getparent() is not None and element.getparent().tag.startswith(f"{{{SCH}}}"):
            continue
        schema.append(_copy(element))
    return schema


def _copy(element: etree._Element) -> etree._Element:
    from copy import deepcopy
    copied = deepcopy(element)
    copied.tail = None
    return copied


def _odd_schema(path: Path) -> etree._Element:
    """The TEI constraints of an ODD (or p5subset.xml): one pattern per ``constraintSpec``.

    A constraint made of bare asserts and reports gets the rule context of its element or
    attribute, as the TEI Stylesheets' odd2sch gives them.
    """
    source = _read(path)
    schema = _schema_element()
    for prefix, uri in TEI_CONSTRAINT_NAMESPACES.items():
        _ns(schema, prefix, uri)
    for ns in source.iter(f"{{{SCH}}}ns"):
        _ns(schema, ns.get("prefix", ""), ns.get("uri", ""))
    for spec in source.iter(f"{{{TEI_NS}}}constraintSpec"):
        if spec.get("scheme") not in ("schematron", "isoschematron") or spec.get("mode") == "delete":
            continue
        constraint = spec.find(f"{{{TEI_NS}}}constraint")
        if constraint is None:
            continue
        owner = _owner(spec)
        pattern = etree.SubElement(schema, f"{{{SCH}}}pattern", id=f"{owner[0]}-constraint-{spec.get('ident', '')}")
        loose = []
        for child in constraint:
            if not isinstance(child.tag, str) or not child.tag.startswith(f"{{{SCH}}}"):
                continue
            local = etree.QName(child).localname
            if local == "rule":
                pattern.append(_copy(child))
            elif local in ("assert", "report", "let"):
                loose.append(_copy(child))
            elif local == "pattern":
                schema.append(_copy(child))
        if loose:
            rule = etree.SubElement(pattern, f"{{{SCH}}}rule", context=owner[1])
            rule.extend(loose)
        if len(pattern) == 0:
            schema.remove(pattern)
    return schema


def _owner(spec: etree._Element) -> tuple[str, str]:
    """A name for the pattern and the context of bare asserts: ``tei:x`` or ``tei:x/@y``."""
    element = spec.getparent()
    while element is not None and etree.QName(element).localname not in ("elementSpec", "classSpec", "attDef"):
        element = element.getparent()
    if element is None:
        return "schema", "/"
    if etree.QName(element).localname == "attDef":
        holder = element.getparent()
        while holder is not None and etree.QName(holder).localname not in ("elementSpec", "classSpec"):
            holder = holder.getparent()
        name = element.get("ident", "")
        if holder is not None and etree.QName(holder).localname == "elementSpec":
            return f"{holder.get('ident')}-{name}", f"tei:{holder.get('ident')}/@{name}"
        return f"{holder.get('ident') if holder is not None else ''}-{name}", f"@{name}"
    if etree.QName(element).localname == "classSpec":
        return str(element.get("ident", "")), "tei:*"
    return str(element.get("ident", "")), f"tei:{element.get('ident')}"


# -- SVRL ----------------------------------------------------------------------------

def to_svrl(diagnostics: Iterable[Diagnostic]) -> str:
    """The Schematron findings as SVRL: one ``schematron-output`` per file (in a wrapper when several)."""
    from .schematron_run import SchematronDiagnostic

    by_file: dict[str, list[Any]] = {}
    for diagnostic in diagnostics:
        by_file.setdefault(diagnostic.path, []).append(diagnostic)
    outputs = []
    for path, found in by_file.items():
        output = etree.Element(f"{{{SVRL}}}schematron-output", nsmap={"svrl": SVRL})
        output.set("document", path)
        last: tuple[str, str, str] | None = None
        for diagnostic in found:
            if not isinstance(diagnostic, SchematronDiagnostic) or not diagnostic.kind:
                comment = etree.Comment(f" {diagnostic} ".replace("--", "- -"))
                output.append(comment)
                continue
            here = (diagnostic.schematron, diagnostic.pattern, diagnostic.rule)
            if here != last:
                etree.SubElement(output, f"{{{SVRL}}}active-pattern", id=diagnostic.pattern,
                                 documents=path)
                etree.SubElement(output, f"{{{SVRL}}}fired-rule", context=diagnostic.rule)
                last = here
            name = "failed-assert" if diagnostic.kind == "assert" else "successful-report"
            finding = etree.SubElement(output, f"{{{SVRL}}}{name}", test=diagnostic.test,
                                       location=diagnostic.location)
            for attribute in ("role", "flag"):
                if getattr(diagnostic, attribute):
                    finding.set(attribute, getattr(diagnostic, attribute))
            if diagnostic.assert_id:
                finding.set("id", diagnostic.assert_id)
            etree.SubElement(finding, f"{{{SVRL}}}text").text = diagnostic.message
        outputs.append(output)
    if len(outputs) == 1:
        root = outputs[0]
    else:
        root = etree.Element("svrl-outputs", nsmap={"svrl": SVRL})
        root.extend(outputs)
    return etree.tostring(root, encoding="unicode", pretty_print=True)
