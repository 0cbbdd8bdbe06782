"""How ``edition query`` prints hits: text, XML, JSON, CSV, counts and keyword in context.

JSON is a list of hit records; a value that is not a string keeps its JSON
form (numbers, booleans, maps as objects, arrays as arrays: the XPath 3.1
JSON output method, see :func:`edition.query_values.to_json`).  A file that
failed adds an ``{"error": {...}}`` record, so stdout stays one JSON
document whatever happens.  CSV cells that a spreadsheet would run as a
formula (``=``, ``+``, ``-``, ``@``, tab, carriage return first) are
prefixed with ``'`` as OWASP recommends.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from .diagnostics import Diagnostic
from .query_hits import FileResult, Hit

__all__ = ["FORMATS", "CSV_FIELDS", "Output", "text_line", "xml_hit", "kwic", "kwic_line", "csv_cell",
           "csv_row", "error_record", "write_results", "Group", "group_hits", "sort_hits", "SHOWN_REFS"]

FORMATS = ("text", "xml", "json", "csv")
CSV_FIELDS = ("file", "ref", "line", "column", "xpath", "type", "value")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


#: Whether a JSON array of hits is open on stdout and how many records it has (so that a
#: run stopped by its budget can close it: stdout stays one JSON document).
JSON_STATE: dict[str, int] = {"open": 0, "items": 0}


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will show, not run: text starting with ``=``, ``+``, ``-``,
    ``@``, tab or carriage return gets a leading ``'`` (OWASP, CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> str:
    """One CSV line (without its end) of cells made safe by :func:`csv_cell`.  The writer ends
    rows with CRLF so that it quotes a cell holding a lone CR (with LF only it would not, and
    the CR would start a row of its own); the end is the caller's."""
    import csv  # only for CSV output

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([csv_cell(value) for value in values])
    return buffer.getvalue()[:-2]


def error_record(diagnostic: Diagnostic) -> dict[str, Any]:
    """The JSON error object: ``{"error": {"code", "severity", "message", "file", "line", "column"}}``."""
    return {"error": {"code": diagnostic.code, "severity": str(diagnostic.severity), "message": diagnostic.message,
                      "file": diagnostic.path, "line": diagnostic.line, "column": diagnostic.column}}




def text_line(hit: Hit) -> str:
    """``file:line:col: ref: value [xpath]`` (compiler style, like diagnostics); atomic: ``file: value``."""
    value = " ".join(hit.value.split())
    if not hit.xpath:
        return f"{hit.file}: {value}"
    ref = f"{hit.ref}: " if hit.ref else ""
    return f"{hit.file}:{hit.line}:{hit.column}: {ref}{value} [{hit.xpath}]"


def xml_hit(hit: Hit) -> str:
    """One ``<hit>`` element with the location as attributes and the serialized node inside."""
    attributes = " ".join(f'{name}="{_escape(str(getattr(hit, name)))}"'
                          for name in ("file", "ref", "line", "column", "xpath", "type", "key")
                          if getattr(hit, name) not in ("", None) or name in ("file", "type"))
    return f"<hit {attributes}>{hit.markup or _escape(hit.value)}</hit>"


def kwic(hit: Hit, word: str, words: int = 5) -> list[tuple[str, str, str]]:
    """Keyword-in-context: (left, keyword, right) for each whole-word match of ``word`` in the hit.

    The contexts keep the space, or its absence, next to the keyword, so
    that ``Khrushchev’s`` reads ``[Khrushchev]’s``.
    """
    text = " ".join(hit.value.split())
    found: list[tuple[str, str, str]] = []
    pattern = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE)
    for match in pattern.finditer(text):
        before, after = text[:match.start()], text[match.end():]
        # a chunk touching the keyword (’s, a comma, an opening quote) belongs to its word
        left_words = before.split()
        right_words = after.split()
        left_take = words + (0 if before.endswith(" ") or not before else 1)
        right_take = words + (0 if after.startswith(" ") or not after else 1)
        left = " ".join(left_words[-left_take:]) + (" " if before.endswith(" ") else "")
        right = (" " if after.startswith(" ") else "") + " ".join(right_words[:right_take])
        found.append((left, match.group(0), right))
    return found


def kwic_line(hit: Hit, left: str, keyword: str, right: str, width: int) -> str:
    """A KWIC line, the keyword column aligned by padding the left context to ``width``."""
    if len(left) > width:
        left = "…" + left[-(width - 1):]
    ref = f"{hit.ref}: " if hit.ref else ""
    return f"{hit.file}:{hit.line}:{hit.column}: {ref}{left:>{width}}[{keyword}]{right}"


# -- grouped and sorted hits (named queries) ----------------------------------------------

#: How many refs a grouped text line lists (JSON and CSV list them all).
SHOWN_REFS = 12


class Group:
    """The hits of one key: an authority entry and its mentions.  (Plain classes here, not
    dataclasses: a dataclass's methods are compiled when its module loads, 0.8 ms each, on
    the start-up of every ``edition query``.)"""

    __slots__ = ("key", "label", "hits")

    def __init__(self, key: str, label: str, hits: list[Hit] | None = None) -> None:
        self.key = key
        self.label = label
        self.hits: list[Hit] = hits if hits is not None else []

    def __repr__(self) -> str:
        return f"Group(key={self.key!r}, label={self.label!r}, hits={self.hits!r})"

    @property
    def count(self) -> int:
        return len(self.hits)

    def refs(self, with_file: bool) -> list[str]:
        """Distinct places of the mentions, in order: ``d300.p1`` (``file#d300.p1`` across files)."""
        places = (f"{h.file}#{h.ref}" if with_file else h.ref or f"line {h.line}" for h in self.hits)
        return list(dict.fromkeys(places))

    def places(self, limit: int) -> str:
        """The refs for a text line: per file when there are several, the first ``limit``."""
        by_file: dict[str, list[str]] = {}
        for hit in self.hits:
            refs = by_file.setdefault(hit.file, [])
            ref = hit.ref or f"line {hit.line}"
            if ref not in refs:
                refs.append(ref)
        shown: list[str] = []
        total = sum(len(refs) for refs in by_file.values())
        room = limit
        for file, refs in by_file.items():
            if room <= 0:
                break
            prefix = f"{file}: " if len(by_file) > 1 else ""
            shown.append(prefix + ", ".join(refs[:room]))
            room -= len(refs[:room])
        text = "; ".join(shown)
        listed = min(total, limit)
        return text + (f" … and {total - listed} more" if total > listed else "")

    def as_dict(self, with_file: bool) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "count": self.count, "refs": self.refs(with_file),
                "mentions": [h.as_dict() for h in self.hits]}


def group_hits(results: Iterable[FileResult]) -> list[Group]:
    """Group hits by key across files; hits without a key group by their value.

    Ordered by descending count, then label, so the output is deterministic.
    """
    groups: dict[str, Group] = {}
    labels: dict[str, str] = {}
    for result in results:
        for key, label in result.labels.items():
            labels.setdefault(key, label)
        for hit in result.hits:
            key = hit.key or f"“{hit.value}”"
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(key, "")
            group.hits.append(hit)
    for key, group in groups.items():
        group.label = labels.get(key) or (group.hits[0].value if not group.hits[0].key else "")
    return sorted(groups.values(), key=lambda g: (-g.count, g.label.casefold(), g.key))


def sort_hits(hits: Iterable[Hit]) -> list[Hit]:
    """Hits ordered by key (a timeline); hits without a key last, in document order."""
    ordered = list(hits)
    return sorted(ordered, key=lambda h: (h.key == "", h.key))


class Named(Protocol):
    """What printing needs of a named query (:class:`edition.queries.NamedQuery`)."""

    @property
    def name(self) -> str: ...

    @property
    def group(self) -> bool: ...

    @property
    def sort(self) -> bool: ...


# -- writing results ---------------------------------------------------------------

class Output:
    """How ``edition query`` prints: a format, or counts, or keyword-in-context lines."""

    __slots__ = ("format", "count", "kwic", "kwic_words")

    def __init__(self, format: str = "text", count: bool = False, kwic: str = "",  # noqa: A002 - the option's name
                 kwic_words: int = 5) -> None:
        self.format = format
        self.count = count
        self.kwic = kwic
        self.kwic_words = kwic_words

    def __repr__(self) -> str:
        return (f"Output(format={self.format!r}, count={self.count!r}, kwic={self.kwic!r}, "
                f"kwic_words={self.kwic_words!r})")


def write_results(results: Iterable[FileResult], output: Output, out: Callable[[str], Any],
                  err: Callable[[str], Any],
                  named: Named | None = None) -> int:
    """Print results as they stream in (grouped and sorted named queries wait for all files).

    ``out`` and ``err`` are callables taking one line.  Returns the exit
    code: 1 when any file had a diagnostic, else 0.
    """
    if output.format == "json":
        import json  # only here: text output, the common case, does not pay for its import
    failed = False
    files = 0
    total = 0
    errors: list[Diagnostic] = []  # JSON: printed as error records, stdout stays one document

    def checked(stream: Iterable[FileResult]) -> Iterable[FileResult]:
        nonlocal failed, files, total
        for result in stream:
            files += 1
            total += len(result.hits)
            for diagnostic in result.diagnostics:
                failed = True
                err(str(diagnostic))
                errors.append(diagnostic)
            yield result

    results = checked(results)
    if output.count:
        # a file that failed has no count: its diagnostic on stderr says why
        counts = [(r.path, len(r.hits)) for r in results if not r.diagnostics]
        if len(counts) == 1 and files == 1:
            out(str(counts[0][1]))
        else:
            for path, number in counts:
                out(f"{number}\t{path}")
            out(f"{sum(n for _, n in counts)}\ttotal")
        return 1 if failed else 0

    if named is not None and named.group:
        collected = list(results)
        groups = group_hits(collected)
        with_file = len(collected) > 1
        if output.format == "json":
            out(json.dumps([g.as_dict(with_file) for g in groups], ensure_ascii=False, indent=1))
        elif output.format == "csv":
            out(csv_row(("count", "key", "label", "refs")))
            for g in groups:
                out(csv_row([g.count, g.key, g.label, " ".join(g.refs(with_file))]))
        elif output.format == "xml":
            out('<?xml version="1.0" encoding="UTF-8"?>')
            out(f'<groups query="{_attr(named.name)}">')
            for g in groups:
                out(f'<group key="{_attr(g.key)}" label="{_attr(g.label)}" count="{g.count}">')
                for hit in g.hits:
                    out(xml_hit(hit))
                out("</group>")
            out("</groups>")
        else:
            width = max((len(g.label) for g in groups), default=0)
            for g in groups:
                out(f"{g.count:>5}  {g.label:<{width}}  {g.key or '-'}  {g.places(SHOWN_REFS)}".rstrip())
        return 1 if failed else 0

    hits: Iterable[Hit] = (hit for result in results for hit in result.hits)
    if named is not None and named.sort:
        hits = sort_hits(list(hits))

    if output.kwic:
        width = max(24, 12 * output.kwic_words)
        for hit in hits:
            for left, keyword, right in kwic(hit, output.kwic, output.kwic_words):
                if output.format == "json":
                    out(json.dumps({"file": hit.file, "ref": hit.ref, "line": hit.line, "xpath": hit.xpath,
                                    "left": left, "keyword": keyword, "right": right}, ensure_ascii=False))
                else:
                    out(kwic_line(hit, left, keyword, right, width))
        return 1 if failed else 0

    if output.format == "json":
        first = True
        out("[")
        JSON_STATE.update(open=1, items=0)
        for hit in hits:
            record = json.dumps(hit.as_dict(), ensure_ascii=False)
            out(record if first else "," + record)
            first = False
            JSON_STATE["items"] += 1
        for diagnostic in errors:
            record = json.dumps(error_record(diagnostic), ensure_ascii=False)
            out(record if first else "," + record)
            first = False
        out("]")
        JSON_STATE.update(open=0)
    elif output.format == "csv":
        out(csv_row(CSV_FIELDS))
        for hit in hits:
            out(csv_row([getattr(hit, name) for name in CSV_FIELDS]))
    elif output.format == "xml":
        out('<?xml version="1.0" encoding="UTF-8"?>')
        out("<hits>")
        for hit in hits:
            out(xml_hit(hit))
        out("</hits>")
    else:
        for hit in hits:
            out(text_line(hit))
    return 1 if failed else 0


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

