"""One diagnostic record for every check, and the exceptions that carry one.

Every finding of the toolkit (a parse error, a schema violation, a broken
rule, an element a writer had to render by its fallback, a citation field
missing from a header, a query that failed) is a :class:`Diagnostic`.  Its
``str()`` is the grep-friendly compiler line
``path:line:col: severity CODE: message [xpath]`` that editors can jump to.

Codes are stable: the table :data:`CODES` maps each one to its severity and a
one-line summary, and ``edition codes`` prints it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Self


class Severity(enum.IntEnum):
    """Ordered so that the worst severity of a run is ``max()`` of its records."""

    INFO = 0
    WARNING = 1
    ERROR = 2
    FATAL = 3

    def __str__(self) -> str:
        return self.name.lower()


class Code(NamedTuple):
    """A diagnostic code: its severity and what it means.  (A named tuple: a dataclass's
    methods are compiled when the module loads, on the start-up of every command.)"""

    code: str
    severity: Severity
    summary: str


def _table(*rows: tuple[str, Severity, str]) -> dict[str, Code]:
    table: dict[str, Code] = {}
    for code, severity, summary in rows:
        if code in table:
            raise ValueError(f"diagnostic code {code} declared twice")
        table[code] = Code(code, severity, summary)
    return table


E, W, N, F = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.FATAL  # N: a notice (info)

#: Every code the toolkit emits.  Ranges: E00xx input and parsing, E01xx
#: schema, E02xx integrity rules, W03xx transforms, E04xx references and
#: citations, E05xx queries, E06xx build and output, E07xx Schematron, E09xx usage.
CODES: dict[str, Code] = _table(
    # input and parsing
    ("E0001", F, "file not found or not readable"),
    ("E0002", F, "not well-formed XML"),
    ("E0003", F, "DTD or entity declarations refused (entity expansion and external entities are never processed)"),
    ("E0004", F, "encoding error: bytes do not match the declared or detected encoding"),
    ("E0005", F, "not a regular file (a directory, device or socket)"),
    ("E0006", F, "empty file"),
    ("E0007", F, "binary data, not XML text"),
    ("E0008", F, "document exceeds a safety limit (nesting depth, size of a text node or attribute)"),
    ("E0009", E, "XInclude not resolved (outside the root folder, a URL, a loop, a missing file or pointer)"),
    ("E0010", F, "root element is not TEI or teiCorpus in the TEI namespace"),
    ("W0011", W, "file vanished or changed while being processed"),
    ("W0012", W, "TEI P4 document (root TEI.2): converted in memory to TEI P5"),
    # schema
    ("E0100", E, "schema violation"),
    ("E0101", E, "element not allowed here"),
    ("E0102", E, "attribute not allowed"),
    ("E0103", E, "attribute value not allowed"),
    ("E0104", E, "required content or attribute missing"),
    ("E0105", E, "text not allowed here"),
    ("E0106", E, "element in the wrong namespace"),
    ("E0107", F, "schema could not be loaded"),
    ("W0108", W, "xml-model processing instruction names a schema that is not a local file; ignored"),
    ("W0109", W, "damaged cache entry discarded; it is made again"),
    # integrity rules
    ("E0201", E, "duplicate xml:id"),
    ("E0202", E, "local pointer does not resolve"),
    ("E0203", E, "pointer reaches the wrong kind of entry"),
    ("E0204", E, "date is not valid ISO 8601"),
    ("E0205", E, "dates out of order"),
    ("W0206", W, "machine-readable date disagrees with its printed text"),
    ("E0207", E, "notes not numbered consecutively within a document"),
    ("E0208", E, "page numbers not ascending"),
    ("E0209", E, "empty paragraph or head"),
    ("W0210", W, "pointer target is outside this file and was not checked"),
    # transforms
    ("W0301", W, "element not in the behaviour table; rendered by the fallback"),
    ("W0302", W, "content could not be rendered in this output"),
    ("W0303", W, "element of another namespace (XHTML, SVG, MathML, a project's own): its text kept, its markup not"),
    # references and citations
    ("E0401", E, "canonical reference does not resolve"),
    ("W0402", W, "citation metadata field missing from the header"),
    ("I0403", N, "no citeStructure: canonical references fall back to division id and paragraph position"),
    ("E0404", E, "citeStructure cannot be evaluated"),
    # queries
    ("E0501", E, "XPath syntax error"),
    ("E0502", E, "XPath evaluation error"),
    ("E0503", E, "unknown named query"),
    ("E0504", E, "query stopped by its budget (time, memory, number of items, recursion depth)"),
    ("E0505", E, "query refused: a function that reads outside the inputs, or a character XML does not allow"),
    # build and output
    ("E0601", E, "output folder refused"),
    ("E0602", E, "output could not be written"),
    ("E0603", E, "PDF rendering failed"),
    ("E0604", E, "output path refused: a name would lead outside the output folder"),
    ("E0605", E, "another build is writing the same output folder"),
    ("E0606", E, "input file could not be read or listed"),
    ("W0607", W, "page renamed: its name is one of the edition's own pages or too long"),
    ("W0608", W, "print resource or document over a safety limit (time, pixels, SVG elements); left out"),
    ("E0609", E, "build interrupted by a signal; the previous edition is untouched"),
    ("W0610", W, "print edition: a character no font of this machine has, printed as a stand-in"),
    ("W0615", W, "web search index not made (Pagefind missing or failed); the pages are built without search"),
    ("E0620", E, "the Dask scheduler (--scheduler) could not be reached, or dask.distributed is missing"),
    ("E0621", E, "a unit of work was lost with its Dask worker too often; nothing was replaced"),
    # Schematron (edition/schematron.py): findings by @role, then the engine's own
    ("E0701", E, "Schematron assert failed or report fired"),
    ("W0702", W, "Schematron assert failed or report fired (role warn or warning)"),
    ("I0703", N, "Schematron assert failed or report fired (role info)"),
    ("E0704", F, "Schematron assert failed or report fired (role fatal)"),
    ("E0705", F, "Schematron could not be compiled, or uses a construct that is not supported"),
    ("E0706", E, "Schematron test, let or rule context could not be evaluated"),
    ("E0707", E, "Schematron run stopped at a limit (time, call depth)"),
    # usage
    ("E0901", E, "usage error"),
)


_ASCII_CONTROLS = {code: chr(code).encode("unicode_escape").decode("ascii") for code in (*range(32), 127)}


def printable(text: str) -> str:
    """``text`` safe to print on one line: a file name's undecodable bytes (Python's
    surrogate escapes) as ``\\xff``, control characters as ``\\n``, ``\\x1b`` and the like,
    so that no name can start a line of its own in a report or move the terminal's cursor."""
    if text.isprintable():  # surrogates (category Cs) are not printable: none is in such a text
        return text
    escaped = text.translate(_ASCII_CONTROLS)  # the usual case (a line break), without a walk
    if escaped.isprintable():
        return escaped
    out = []
    for character in text:
        code = ord(character)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif character.isprintable() or character == " ":
            out.append(character)
        else:
            out.append(character.encode("unicode_escape").decode("ascii"))
    return "".join(out)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A finding at a place in a file.

    ``line`` and ``column`` are 1-based; 0 means unknown.  ``xpath`` is an
    absolute path with positions (``/tei:TEI/tei:text/tei:body/tei:div[2]``);
    ``ref`` is the canonical reference of the nearest citable unit
    (``d300.p4``) where the document defines one.
    """

    path: str
    line: int
    column: int
    code: str
    message: str
    xpath: str = ""
    ref: str = ""
    severity: Severity = field(default=Severity.ERROR, compare=False)

    @classmethod
    def make(cls, code: str, message: str, path: str = "", line: int = 0, column: int = 0,
             xpath: str = "", ref: str = "") -> Diagnostic:
        """Build a record whose severity comes from the code table."""
        return cls(path=path, line=line or 0, column=column or 0, code=code, message=message,
                   xpath=xpath, ref=ref, severity=CODES[code].severity)

    def __str__(self) -> str:
        location = f"{printable(self.path) or '-'}:{self.line}:{self.column}"
        text = f"{location}: {self.severity} {self.code}: {printable(self.message)}"
        if self.ref:
            text += f" ({self.ref})"
        if self.xpath:
            text += f" [{self.xpath}]"
        return text

    def as_dict(self) -> dict[str, object]:
        # by hand, not dataclasses.asdict (a deep copy): an unchanged rebuild turns every
        # reused diagnostic back into a record
        record: dict[str, object] = {"path": self.path, "line": self.line, "column": self.column,
                                     "code": self.code, "message": self.message, "xpath": self.xpath,
                                     "ref": self.ref, "severity": str(self.severity)}
        return record


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    return (diagnostic.path, diagnostic.line, diagnostic.column, diagnostic.code)


def worst(diagnostics: Iterable[Diagnostic]) -> Severity | None:
    return max((d.severity for d in diagnostics), default=None)


def exit_code(diagnostics: Iterable[Diagnostic]) -> int:
    """0 clean (warnings allowed), 1 when any error or fatal finding."""
    level = worst(diagnostics)
    return 1 if level is not None and level >= Severity.ERROR else 0


def summary(diagnostics: list[Diagnostic], files: int) -> str:
    counts = {s: 0 for s in Severity}
    for d in diagnostics:
        counts[d.severity] += 1
    errors = counts[Severity.ERROR] + counts[Severity.FATAL]
    return (f"{files} file{'s' if files != 1 else ''} checked: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{counts[Severity.WARNING]} warning{'s' if counts[Severity.WARNING] != 1 else ''}")


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    import json

    return json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=1)


class EditionError(Exception):
    """Root of the toolkit's exceptions; carries the diagnostic that explains it."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic

    @classmethod
    def at(cls, code: str, message: str, **where: Any) -> Self:
        return cls(Diagnostic.make(code, message, **where))


class EditionParseError(EditionError, ValueError):
    """The input is not a well-formed, safe XML document."""


class EditionValidationError(EditionError, ValueError):
    """A document broke the schema or an integrity rule (raised by ``check()``)."""


class EditionReferenceError(EditionError, LookupError):
    """A canonical reference does not resolve."""


class EditionQueryError(EditionError, ValueError):
    """An XPath expression failed to compile or to evaluate."""


class EditionOutputError(EditionError, OSError):
    """An output could not be written, or its folder is refused."""


class EditionUsageError(EditionError, ValueError):
    """The call's arguments are wrong; the CLI exits with 2."""
