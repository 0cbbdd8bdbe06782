"""Which schema checks a document: the user's choice, the document's own ``<?xml-model?>``, or ours."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree

from ..diagnostics import Diagnostic, EditionUsageError
from ..document import Document
from .engines import Pending, Schema, cached, edition_schema, schema_from_file
from .tei_all import TeiAllSchema


class _WithFindings(Schema):
    """A schema plus findings about how it was chosen (W0108), reported with its own."""

    def __init__(self, schema: Schema | None, findings: list[Diagnostic]) -> None:
        self.schema = schema
        self.findings = findings
        self.name = schema.name if schema else "none"

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        yield from self.findings
        if self.schema is not None:
            yield from self.schema.iter_problems(document)

    def begin(self, document: Document) -> Pending:
        pending = self.schema.begin(document) if self.schema is not None else None
        return lambda: [*self.findings, *(pending() if pending is not None else ())]


SchemaChoice = None | str | Path | Schema

_MODEL_SUFFIXES = (".rng", ".rnc", ".xsd", ".odd")


def xml_model_schema(document: Document) -> tuple[Schema | None, list[Diagnostic]]:
    """The schema a document names in ``<?xml-model href=…?>``, when it is a local file.

    Returns the engine (None when there is no usable local one) and the
    findings: W0108 for a schema on the network (never fetched), E0107 for
    a local one that is missing or broken.
    """
    findings: list[Diagnostic] = []
    node = document.root.getprevious()
    pis: list[etree._ProcessingInstruction] = []
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            pis.append(node)
        node = node.getprevious()
    for pi in reversed(pis):
        href = pi.get("href")
        schematypens = pi.get("schematypens") or ""
        if not href or "schematron" in schematypens:
            continue
        parsed = urlparse(href)
        line = pi.sourceline or 0
        if parsed.scheme not in ("", "file"):
            findings.append(Diagnostic.make(
                "W0108", f"<?xml-model?> names {href}, which is not a local file and is never fetched; "
                "validating against our schema instead (use --tei-all for the official tei_all)",
                path=document.path, line=line, column=1))
            continue
        base = Path(document.path).parent if document.path and not document.path.startswith("<") else Path.cwd()
        target = Path(unquote(parsed.path))
        target = target if target.is_absolute() else base / target
        if target.suffix.lower() not in _MODEL_SUFFIXES:
            findings.append(Diagnostic.make(
                "W0108", f"<?xml-model?> names {href}, which is not a .rng, .rnc, .xsd or .odd schema; ignored",
                path=document.path, line=line, column=1))
            continue
        try:
            return schema_from_file(target), findings
        except EditionUsageError as error:
            findings.append(Diagnostic.make(
                "E0107", f"<?xml-model?> names {href}: {error.diagnostic.message}",
                path=document.path, line=line, column=1))
            return None, findings
    return None, findings


def resolve_schema(choice: SchemaChoice, document: Document) -> Schema | None:
    """The engine for one document.

    ``None``: the document's own local ``<?xml-model?>`` schema, else ours
    (W0108 when it names one on the network); ``"edition"``: ours;
    ``"tei-all"``: the official tei_all, pruned; ``"none"``: no schema; a
    path: RELAX NG, XSD or ODD by suffix; a :class:`Schema`: itself.
    Raises :class:`EditionUsageError` (E0107) for a schema that cannot load.
    """
    if isinstance(choice, Schema):
        return choice
    if choice is None:
        schema, findings = xml_model_schema(document)
        if schema is None and not any(f.code == "E0107" for f in findings):
            schema = edition_schema()
        return _WithFindings(schema, findings) if findings else schema
    if choice == "none":
        return None
    if choice == "edition":
        return edition_schema()
    if choice in ("tei-all", "tei_all"):
        return cached(("tei-all-default",), TeiAllSchema)
    return schema_from_file(Path(choice))


def prepare(choice: SchemaChoice, paths: Iterable[Path]) -> SchemaChoice:
    """Resolve a run-wide choice once before many files are validated.

    For ``"tei-all"`` the union of the names of all files is computed here,
    once, so that one pruned grammar serves every file and every worker
    process; a schema file is compiled here so that a broken one fails
    before any work starts.
    """
    if choice in ("tei-all", "tei_all"):
        return TeiAllSchema.for_files(paths)
    if isinstance(choice, (str, Path)) and choice not in ("none", "edition"):
        return schema_from_file(Path(choice))
    return choice
