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
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


class Severity(enum.IntEnum):
    """Ordered so that the worst severity of a run is ``max()`` of its records."""

    INFO = 0
    WARNING = 1
    ERROR = 2
    FATAL = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Code:
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


E, W, I, F = Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.FATAL

#: Every code the toolkit emits.  Ranges: E00xx input and parsing, E01xx
#: schema, E02xx integrity rules, W03xx transforms, E04xx references and
#: citations, E05xx queries, E06xx build and output, E09xx usage.
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
    ("E0009", F, "XInclude refused (points outside the input folder or to the network)"),
    ("E0010", F, "root element is not TEI or teiCorpus in the TEI namespace"),
    ("W0011", W, "file vanished or changed while being processed"),
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
    # references and citations
    ("E0401", E, "canonical reference does not resolve"),
    ("W0402", W, "citation metadata field missing from the header"),
    ("I0403", I, "no citeStructure: canonical references fall back to division id and paragraph position"),
    ("E0404", E, "citeStructure cannot be evaluated"),
    # queries
    ("E0501", E, "XPath syntax error"),
    ("E0502", E, "XPath evaluation error"),
    ("E0503", E, "unknown named query"),
    # build and output
    ("E0601", E, "output folder refused"),
    ("E0602", E, "output could not be written"),
    ("E0603", E, "PDF rendering failed"),
    # usage
    ("E0901", E, "usage error"),
)


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
        location = f"{self.path or '-'}:{self.line}:{self.column}"
        text = f"{location}: {self.severity} {self.code}: {self.message}"
        if self.ref:
            text += f" ({self.ref})"
        if self.xpath:
            text += f" [{self.xpath}]"
        return text

    def as_dict(self) -> dict[str, object]:
        record = asdict(self)
        record["severity"] = str(self.severity)
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
    return json.dumps([d.as_dict() for d in diagnostics], ensure_ascii=False, indent=1)


class EditionError(Exception):
    """Root of the toolkit's exceptions; carries the diagnostic that explains it."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic

    @classmethod
    def at(cls, code: str, message: str, **where: object) -> EditionError:
        return cls(Diagnostic.make(code, message, **where))  # type: ignore[arg-type]


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
