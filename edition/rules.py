"""Integrity rules: what a schema cannot say about a TEI file.

A schema checks that each element and attribute is allowed where it stands;
these rules check that the parts of a file agree with each other: ids are
unique, local pointers reach an element (and the right kind of element),
dates are real dates in order and agree with their printed text, notes and
pages are numbered in sequence, and no paragraph or heading is empty.

Each rule is registered in :data:`RULES` with its codes and a one-line
description; :func:`iter_rule_problems` runs them all.  The rules read one
index of the file (:class:`Facts`), built in a single pass over the tree, so
that a 3 MB volume is checked in a fraction of a second.

The rules work on any TEI, not only ours: a pointer that is not local (a URL,
an image name such as ``facs="0626"``, a page of the same web site such as
``../chapter-7#fn67``) is not checked; one into an XML file beside this one
(``volume.xml#d14``) is checked against that file's ids, or noted (W0210) when
the file is missing.  Attributes of other vocabularies (SVG, the examples of
``egXML``) are not TEI pointers.  A note or page number that is not a number
(``n="*"``, ``n="A1"``) is left out of its sequence, and a printed date is
compared with ``@when`` only when it is a plain date.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

from .diagnostics import CODES, Diagnostic, EditionParseError, EditionUsageError
from .document import TEI_NS, XML_ID, Document, load, local_name, tei

__all__ = ["RULES", "Rule", "rule", "iter_rule_problems", "Facts", "facts_of", "Target", "classify",
           "TemporalValue", "parse_temporal", "PrintedDate", "parse_printed_date"]

Check = Callable[[Document], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    """One integrity rule: a stable name, the codes it may emit, what it checks."""

    name: str
    codes: tuple[str, ...]
    description: str
    check: Check


#: Every rule, by name, in the order they run.
RULES: dict[str, Rule] = {}


def rule(name: str, *codes: str) -> Callable[[Check], Check]:
    """Register ``check`` as a rule; its docstring's first line is the description."""

    def register(check: Check) -> Check:
        if name in RULES:
            raise ValueError(f"rule {name!r} registered twice")
        unknown = [code for code in codes if code not in CODES]
        if unknown:
            raise ValueError(f"rule {name!r} emits undeclared codes {unknown}")
        description = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else name
        RULES[name] = Rule(name, codes, description, check)
        return check

    return register


def iter_rule_problems(document: Document, rules: Iterable[str] | None = None) -> Iterator[Diagnostic]:
    """Every finding of the integrity rules on ``document`` (all rules, or those named)."""
    if rules is None:
        chosen = list(RULES.values())
    else:
        names = list(rules)
        unknown = [name for name in names if name not in RULES]
        if unknown:
            raise EditionUsageError.at("E0901", f"no rule named {', '.join(map(repr, unknown))}; "
                                       f"the rules are: {', '.join(RULES)}")
        chosen = [RULES[name] for name in names]
    for each in chosen:
        yield from each.check(document)


# ---------------------------------------------------------------------------
# The index: one pass over the tree
# ---------------------------------------------------------------------------

#: Attributes whose value is a list of TEI pointers (teidata.pointer in every
#: declaration).  Attributes that are pointers on some elements only
#: (@scheme, @active, @from, @to, @start, …) are checked when a token starts
#: with "#", which no value of their other datatypes does.
POINTER_ATTRIBUTES = frozenset({
    "ref", "corresp", "target", "rendition", "facs", "who", "ana", "resp", "sameAs", "copyOf",
    "next", "prev", "source", "synch", "hand", "decls", "spanTo", "wit", "nymRef", "toWhom",
    "scribeRef", "scriptRef", "change", "edRef", "period", "calendar", "datingMethod",
    "datingPoint", "inst", "mutual", "given", "perf", "replyTo", "since", "end", "parts",
    "domains", "exclude", "follow", "origin", "parent", "children", "mergedIn", "lemmaRef",
    "unitRef", "targetEnd", "adj", "adjFrom", "adjTo", "select", "feats", "fVal", "fromUnit",
    "toUnit", "property", "datcat", "valueDatcat", "targetDatcat", "uri", "filter",
})
HASH_POINTER_ATTRIBUTES = frozenset({
    "scheme", "active", "passive", "where", "new", "start", "location", "from", "to", "url",
    "class", "code",
})

#: Attributes of ``att.datable.w3c`` (W3C Schema datatypes: xs:date, xs:gYear, …).
DATE_ATTRIBUTES = ("when", "notBefore", "notAfter", "from", "to")

#: Elements whose @from/@to are not dates (page ranges, pointers to anchors).
NOT_DATABLE = frozenset({"biblScope", "citedRange", "locus", "rt", "app", "span", "arc"})

#: Elements whose text is the printed form of their @when.
PRINTED_DATES = frozenset({tei("date"), tei("origDate"), tei("docDate")})

#: Elements that may stand in an otherwise empty paragraph without content.
CONTENTLESS = frozenset(tei(name) for name in ("pb", "lb", "cb", "milestone", "anchor", "gb"))
EMPTY_WRAPPERS = frozenset(tei(name) for name in ("hi", "seg", "emph", "c", "w", "pc", "s", "phr"))

_NOTE, _PB, _P, _HEAD = tei("note"), tei("pb"), tei("p"), tei("head")
_TEI_PREFIX = "{" + TEI_NS + "}"
_DATE_NAMES = frozenset(DATE_ATTRIBUTES)
_TEXT, _DIV = tei("text"), tei("div")


@dataclass
class Pointer:
    element: etree._Element
    attribute: str
    value: str


@dataclass
class Facts:
    """What the rules need from one file, collected in one pass over its tree."""

    document: Document
    ids: dict[str, etree._Element] = field(default_factory=dict)
    duplicate_ids: list[tuple[str, etree._Element]] = field(default_factory=list)
    pointers: list[Pointer] = field(default_factory=list)
    dated: list[etree._Element] = field(default_factory=list)
    notes: list[etree._Element] = field(default_factory=list)
    pages: list[etree._Element] = field(default_factory=list)
    blocks: list[etree._Element] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)     # classify()'s cache

    @classmethod
    def collect(cls, document: Document) -> Facts:
        facts = cls(document)
        ids, duplicates, pointers, dated = facts.ids, facts.duplicate_ids, facts.pointers, facts.dated
        pointer_names, hash_names, date_names = POINTER_ATTRIBUTES, HASH_POINTER_ATTRIBUTES, _DATE_NAMES
        for element in document.root.iter(etree.Element):
            items = element.items()
            if not items:
                continue
            has_date = False
            # attributes of other vocabularies (SVG, MathML, TEI's own examples in egXML)
            # are not TEI pointers or dates
            in_tei = element.tag.startswith(_TEI_PREFIX)
            for name, value in items:
                if name == XML_ID:
                    if value in ids:
                        duplicates.append((value, element))
                    else:
                        ids[value] = element
                elif not in_tei:
                    continue
                elif name in pointer_names or (name in hash_names and value.lstrip()[:1] == "#"):
                    pointers.append(Pointer(element, name, value))
                if name in date_names:
                    has_date = True
            if has_date:
                tag = element.tag
                if tag[len(_TEI_PREFIX):] not in NOT_DATABLE:
                    dated.append(element)
        # lxml filters by tag in C: cheaper than testing every element in Python
        for element in document.root.iter(_NOTE, _PB, _P, _HEAD):
            tag = element.tag
            if tag == _NOTE:
                facts.notes.append(element)
            elif tag == _PB:
                facts.pages.append(element)
            else:
                facts.blocks.append(element)
        return facts

    @cached_property
    def prefixes(self) -> dict[str, list[tuple[re.Pattern[str], str]]]:
        """``listPrefixDef``: private URI schemes (``psn:KNS1``) and how they expand."""
        table: dict[str, list[tuple[re.Pattern[str], str]]] = defaultdict(list)
        header = self.document.header
        if header is None:
            return table
        for definition in header.iter(tei("prefixDef")):
            ident = definition.get("ident", "")
            source = definition.get("matchPattern", "")
            if _NESTED_QUANTIFIER.search(source):
                continue                    # "(a+)+" backtracks exponentially: a hostile file could hang us
            try:
                pattern = re.compile(source)
            except re.error:
                continue
            table[ident].append((pattern, definition.get("replacementPattern", "")))
        return table


#: A quantified group that itself holds a quantifier, the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")

_facts_cache: weakref.WeakKeyDictionary[Document, Facts] = weakref.WeakKeyDictionary()


def facts_of(document: Document) -> Facts:
    """The :class:`Facts` of ``document`` (collected once, shared by every rule)."""
    found = _facts_cache.get(document)
    if found is None:
        found = _facts_cache[document] = Facts.collect(document)
    return found


def _line(document: Document, element: etree._Element) -> int:
    return document.position(element)[0]


# ---------------------------------------------------------------------------
# E0201 duplicate ids
# ---------------------------------------------------------------------------

@rule("unique-ids", "E0201")
def check_unique_ids(document: Document) -> Iterator[Diagnostic]:
    """Every xml:id is used once in a file."""
    facts = facts_of(document)
    for value, element in facts.duplicate_ids:
        first = facts.ids[value]
        yield document.diagnostic(
            element, "E0201", f"xml:id '{value}' is already used on <{local_name(first)}> at line "
            f"{_line(document, first)}; rename one of them (ids must be unique in a file)")


# ---------------------------------------------------------------------------
# E0202, W0210 pointers; E0203 kinds of entries
# ---------------------------------------------------------------------------

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


@dataclass(frozen=True)
class Target:
    """One token of a pointer attribute, classified."""

    token: str
    local: str | None = None        # the id of a local pointer ("#x" → "x")
    external: str | None = None     # the file of a pointer into another file ("a.xml#x" → "a.xml")


def _expand_prefix(token: str, facts: Facts) -> str:
    scheme, _, rest = token.partition(":")
    if len(rest) > 512:
        return token
    for pattern, replacement in facts.prefixes.get(scheme, ()):
        match = pattern.fullmatch(rest)
        if match:
            return re.sub(r"\$(\d)", _group_of(match), replacement)
    return token


def _group_of(match: re.Match[str]) -> Callable[[re.Match[str]], str]:
    """``$1`` … ``$9`` of a prefixDef replacement: the groups of the pointer's match."""
    return lambda reference: match.group(int(reference.group(1))) or ""


def classify(token: str, facts: Facts) -> Target:
    """Say whether a pointer token is local (checked), into another file (noted) or neither."""
    found = facts.targets.get(token)
    if found is None:
        found = facts.targets[token] = _classify(token, facts)
    return found


def _classify(token: str, facts: Facts) -> Target:
    if _SCHEME.match(token):
        expanded = _expand_prefix(token, facts)
        if expanded == token or _SCHEME.match(expanded):
            return Target(token)            # http:, mailto:, urn: … not ours to check
        token = expanded
    path, hash_, fragment = token.partition("#")
    if not hash_:
        return Target(token)                # a relative link to a file or page image
    if "(" in fragment:
        return Target(token)                # an XPointer scheme (string-range(…), xpath(…))
    fragment = unquote(fragment)
    if path:
        return Target(token, external=path)
    return Target(token, local=fragment)


def _suggest(fragment: str, facts: Facts, cache: dict[str, str]) -> str:
    """' (did you mean '#x'?)' for a near miss among the file's ids, else ''."""
    if fragment not in cache:
        close: list[str] = []
        if len(cache) < 20:                 # past a few misses, stop suggesting: the file is the problem
            # difflib over every id of a big file is slow; near misses share a first letter and a length
            candidates = [i for i in facts.ids if i[:1] == fragment[:1] and abs(len(i) - len(fragment)) <= 2]
            close = difflib.get_close_matches(fragment, candidates, n=1, cutoff=0.75)
        cache[fragment] = f" (did you mean '#{close[0]}'?)" if close else ""
    return cache[fragment]


@rule("pointers", "E0202", "W0210")
def check_pointers(document: Document) -> Iterator[Diagnostic]:
    """Every local pointer ("#id") reaches an element of the same file."""
    facts = facts_of(document)
    suggestions: dict[str, str] = {}
    external: dict[str, list[tuple[Pointer, str]]] = {}
    for pointer in facts.pointers:
        for token in pointer.value.split():
            target = classify(token, facts)
            if target.external is not None:
                external.setdefault(target.external, []).append((pointer, token))
            elif target.local is not None and target.local not in facts.ids:
                if not target.local:
                    message = (f"@{pointer.attribute}=\"{token}\" names no element (empty fragment); "
                               "write '#' followed by an xml:id")
                else:
                    message = (f"@{pointer.attribute}=\"{token}\" points to no element: no xml:id "
                               f"'{target.local}' in this file{_suggest(target.local, facts, suggestions)}; "
                               "correct the pointer or add the id")
                yield document.diagnostic(pointer.element, "E0202", message)
    for path, uses in external.items():
        yield from _check_other_file(document, path, uses)


def _other_file(document: Document, path: str) -> tuple[Path | None, bool]:
    """The local file a cross-file pointer names, and whether it names an XML file at all.

    ``../chapter-7#fn67`` (a web page of the same site) names no file here and is
    not checked; ``other.xml#d3`` and ``frus1958-60v19#d14`` (beside an existing
    ``frus1958-60v19.xml``) are.
    """
    relative = unquote(path)
    if relative.startswith(("/", "\\")):
        return None, False                  # "/path#x" is relative to a web site's root, not a file here
    base = Path(document.path)
    names_xml = relative.lower().endswith(".xml")
    try:
        if not base.is_file():
            return None, names_xml
        for candidate in (relative, relative + ".xml"):
            if candidate.lower().endswith(".xml"):
                found = base.parent / candidate
                if found.is_file():
                    return found, True
    except (OSError, ValueError):           # a name too long, a NUL byte: no such file
        pass
    return None, names_xml


@lru_cache(maxsize=8)
def _ids_in(path: str, stamp: tuple[int, int]) -> frozenset[str] | str:
    """The xml:ids of another file (cached by size and modification time), or why it could not be read."""
    try:
        return frozenset(load(path).ids)
    except EditionParseError as error:
        return error.diagnostic.message


def _check_other_file(document: Document, path: str,
                      uses: list[tuple[Pointer, str]]) -> Iterator[Diagnostic]:
    found, names_xml = _other_file(document, path)
    first, token = uses[0]
    more = (f" and {len(uses) - 1} more pointer{'s' if len(uses) > 2 else ''} point" if len(uses) > 1
            else " points")
    if found is None:
        if names_xml:
            yield document.diagnostic(
                first.element, "W0210", f"@{first.attribute}=\"{token}\"{more} into '{path}', which "
                "is not beside this file; not checked: correct the file name or add the file")
        return
    try:
        if found.resolve() == Path(document.path).resolve():
            ids: frozenset[str] | str = frozenset(facts_of(document).ids)    # "this-file.xml#x"
        else:
            stat = found.stat()
            ids = _ids_in(str(found), (stat.st_size, stat.st_mtime_ns))
    except OSError as error:                # vanished or unreadable since it was found
        ids = error.strerror or "cannot read"
    if isinstance(ids, str):
        yield document.diagnostic(
            first.element, "W0210", f"@{first.attribute}=\"{token}\"{more} into '{path}', which could "
            f"not be read ({ids}); not checked: repair that file")
        return
    for pointer, token in uses:
        fragment = unquote(token.partition("#")[2])
        if fragment not in ids:
            yield document.diagnostic(
                pointer.element, "E0202", f"@{pointer.attribute}=\"{token}\" points to no element: no "
                f"xml:id '{fragment}' in {path}; correct the pointer or add the id there")


#: Kinds of entries: what a name's pointer may reach.
PERSON = frozenset(tei(n) for n in ("person", "personGrp", "persName"))
PLACE = frozenset(tei(n) for n in ("place", "placeName", "geogName", "settlement", "country",
                                   "region", "district", "bloc"))
ORG = frozenset(tei(n) for n in ("org", "orgName"))
TERM = frozenset(tei(n) for n in ("term", "gloss", "item", "label", "category", "entry",
                                  "entryFree", "superEntry"))
AGENT = PERSON | {tei("respStmt")}



def _kinds() -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    """(element, attribute) → (the kind its pointer must reach, the elements of that kind)."""
    table: dict[tuple[str, str], tuple[str, frozenset[str]]] = {}
    names = [(("persName",), ("ref", "corresp"), "a person", PERSON),
             (("placeName", "geogName", "settlement", "country", "region", "district", "bloc"),
              ("ref", "corresp"), "a place", PLACE),
             (("orgName",), ("ref", "corresp"), "an organisation", ORG),
             # a term's @corresp says what it corresponds to (a place, a category), not its entry
             (("term",), ("ref",), "a term", TERM),
             (("gloss",), ("ref", "target"), "a term", TERM)]
    for elements, attributes, kind, allowed in names:
        for element in elements:
            for attribute in attributes:
                table[(tei(element), attribute)] = (kind, allowed)
    return table


_KINDS = _kinds()

_ENTRY_HINT = {
    "a person": "<person>, <personGrp> or a <persName> with an xml:id",
    "a place": "<place> or a <placeName> with an xml:id",
    "an organisation": "<org> or an <orgName> with an xml:id",
    "a term": "<term>, <gloss>, <item>, <label>, <category> or <entry>",
    "a person or a responsibility": "<person>, <personGrp>, a <persName> with an xml:id, or <respStmt>",
}


@rule("pointer-kinds", "E0203")
def check_pointer_kinds(document: Document) -> Iterator[Diagnostic]:
    """A name's pointer reaches an entry of its kind (persName → person, placeName → place, …)."""
    facts = facts_of(document)
    for pointer in facts.pointers:
        if pointer.attribute == "who":
            kind, allowed = "a person or a responsibility", AGENT
        else:
            found = _KINDS.get((pointer.element.tag, pointer.attribute))
            if found is None:
                continue
            kind, allowed = found
        for token in pointer.value.split():
            target = classify(token, facts)
            entry = facts.ids.get(target.local) if target.local else None
            if entry is None or entry.tag in allowed:
                continue
            yield document.diagnostic(
                pointer.element, "E0203",
                f"<{local_name(pointer.element)} {pointer.attribute}=\"{token}\"> should point to "
                f"{kind}, but reaches <{local_name(entry)}> at line {_line(document, entry)}; point it "
                f"to a {_ENTRY_HINT[kind]}")


# ---------------------------------------------------------------------------
# E0204, E0205 dates; W0206 printed dates
# ---------------------------------------------------------------------------

_TZ = r"(?P<tz>Z|[+-]\d\d:\d\d)?"
_YEAR = r"(?P<year>-?(?:[1-9]\d{4,}|\d{4}))"
_TEMPORAL = [
    ("dateTime", re.compile(_YEAR + r"-(?P<month>\d\d)-(?P<day>\d\d)T(?P<hour>\d\d):(?P<minute>\d\d)"
                            r":(?P<second>\d\d(?:\.\d+)?)" + _TZ, re.ASCII)),
    ("date", re.compile(_YEAR + r"-(?P<month>\d\d)-(?P<day>\d\d)" + _TZ, re.ASCII)),
    ("gYearMonth", re.compile(_YEAR + r"-(?P<month>\d\d)" + _TZ, re.ASCII)),
    ("gYear", re.compile(_YEAR + _TZ, re.ASCII)),
    ("time", re.compile(r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d(?:\.\d+)?)" + _TZ, re.ASCII)),
    ("gMonthDay", re.compile(r"--(?P<month>\d\d)-(?P<day>\d\d)" + _TZ, re.ASCII)),
    ("gMonth", re.compile(r"--(?P<month>\d\d)" + _TZ, re.ASCII)),
    ("gDay", re.compile(r"---(?P<day>\d\d)" + _TZ, re.ASCII)),
]


def _leap(year: int) -> bool:
    # proleptic Gregorian, astronomical years (XSD 1.1: 0000 is 1 BCE)
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int | None, month: int) -> int:
    if month == 2:
        return 29 if year is None or _leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar (any year, negative too)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@dataclass(frozen=True)
class TemporalValue:
    """A valid W3C date or time: its type, its fields, and the interval it covers."""

    kind: str
    year: int | None = None
    month: int | None = None
    day: int | None = None
    seconds: float | None = None    # of the day, for times and dateTimes
    offset: int = 0                 # timezone, in seconds east of UTC

    @property
    def domain(self) -> str:
        """Values compare only within a domain: calendar dates, times of day, or recurring days."""
        if self.year is not None:
            return "timeline"
        return "time" if self.kind == "time" else self.kind

    def interval(self) -> tuple[float, float]:
        """First and last second covered, in seconds (UTC when a timezone is given)."""
        if self.kind == "time":
            start = (self.seconds or 0.0) - self.offset
            return start, start
        if self.year is None:
            base = _days_from_civil(2000, self.month or 1, self.day or 1)
            last = _days_from_civil(2000, self.month or 12, self.day or _days_in_month(2000, self.month or 12))
        else:
            base = _days_from_civil(self.year, self.month or 1, self.day or 1)
            month = self.month or 12
            last = _days_from_civil(self.year, month, self.day or _days_in_month(self.year, month))
        if self.seconds is not None:
            start = base * 86400 + self.seconds - self.offset
            return start, start
        return base * 86400.0 - self.offset, last * 86400.0 + 86399.999 - self.offset


def parse_temporal(value: str) -> TemporalValue | str:
    """A :class:`TemporalValue`, or the reason why ``value`` is not a W3C date or time."""
    for kind, pattern in _TEMPORAL:
        match = pattern.fullmatch(value)
        if not match:
            continue
        parts = match.groupdict()
        year = int(parts["year"]) if parts.get("year") else None
        month = int(parts["month"]) if parts.get("month") else None
        day = int(parts["day"]) if parts.get("day") else None
        if month is not None and not 1 <= month <= 12:
            return f"month {month:02d} does not exist"
        if day is not None:
            limit = _days_in_month(year, month) if month is not None else 31
            if not 1 <= day <= limit:
                where = f"{_MONTHS_BY_NUMBER[month]} {year}" if month and year is not None else (
                    _MONTHS_BY_NUMBER[month] if month else "any month")
                return f"day {day} does not exist in {where}"
        seconds = None
        if parts.get("hour") is not None:
            hour, minute, second = int(parts["hour"]), int(parts["minute"]), float(parts["second"])
            if hour == 24 and (minute or second):
                return "24:00:00 is the only time allowed with hour 24"
            if hour > 24 or minute > 59 or second >= 60:
                return f"{parts['hour']}:{parts['minute']}:{parts['second']} is not a time of day"
            seconds = hour * 3600 + minute * 60 + second
        offset = 0
        tz = parts.get("tz")
        if tz and tz != "Z":
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if hours > 14 or minutes > 59 or (hours == 14 and minutes):
                return f"timezone {tz} is out of range (-14:00 to +14:00)"
            offset = (1 if tz[0] == "+" else -1) * (hours * 3600 + minutes * 60)
        return TemporalValue(kind, year, month, day, seconds, offset)
    return ("not a W3C date or time; write YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm:ss "
            "(optionally with a timezone such as Z or +01:00) or hh:mm:ss")


def _show(element: etree._Element, name: str) -> str:
    return f"@{name}=\"{element.get(name)}\""


@rule("dates", "E0204", "E0205")
def check_dates(document: Document) -> Iterator[Diagnostic]:
    """Dates (@when, @from/@to, @notBefore/@notAfter) are real W3C dates, and ranges are in order."""
    for element in facts_of(document).dated:
        parsed: dict[str, TemporalValue] = {}
        for name in DATE_ATTRIBUTES:
            value = element.get(name)
            if value is None or (name in ("from", "to") and value.lstrip().startswith("#")):
                continue
            result = parse_temporal(value.strip())
            if isinstance(result, str):
                yield document.diagnostic(element, "E0204", f"{_show(element, name)} is not a valid date: "
                                          f"{result}")
            else:
                parsed[name] = result
        for first, last in (("from", "to"), ("notBefore", "notAfter")):
            start, end = parsed.get(first), parsed.get(last)
            if start is None or end is None or start.domain != end.domain:
                continue
            if start.interval()[0] > end.interval()[1]:
                yield document.diagnostic(
                    element, "E0205", f"{_show(element, first)} is later than {_show(element, last)}; "
                    f"swap them or correct one")


_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_MONTHS_BY_NUMBER = dict(enumerate(("January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December"), start=1))
_MONTH = r"(?P<month>[A-Za-z]+)\.?"
_PRINTED = [
    _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{3,4})",     # September 24, 1959
    r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>\d{3,4})",  # 24 September 1959
    r"(?P<year>\d{4})-(?P<nmonth>\d\d)-(?P<day>\d\d)",                        # 1959-09-24
    _MONTH + r",?\s+(?P<year>\d{3,4})",                                         # September 1959
    r"(?P<year>\d{4})",                                                         # 1959
]
# a time of day after a full date: "September 16, 1958, 9:07 p.m.", "May 10, 1958, noon"
_PRINTED_TIME = (r"(?:,?\s+(?:(?P<hour>\d{1,2})(?::(?P<minute>\d\d))?\s*(?P<half>[ap])\.?\s?m\.?"
                 r"|(?P<noon>noon|midnight)))?")
_PRINTED_PATTERNS = [re.compile(pattern + (_PRINTED_TIME if "day" in pattern else ""), re.I)
                     for pattern in _PRINTED]


@dataclass(frozen=True)
class PrintedDate:
    """The fields of a printed plain date (None where the text does not give them)."""

    year: int
    month: int | None = None
    day: int | None = None
    minutes: int | None = None      # time of day, when printed after the date


def parse_printed_date(text: str) -> PrintedDate | None:
    """The :class:`PrintedDate` of text that is a plain date (with an optional time), else None.

    >>> parse_printed_date("Sept. 24, 1959.")
    PrintedDate(year=1959, month=9, day=24, minutes=None)
    """
    if len(text) > 200:
        return None                         # a plain date is short; a long text is something else
    text = " ".join(text.split()).rstrip(".,;: ")
    if text.endswith((" a", " p")):          # the stripped final period of "p.m."
        text += ".m"
    for pattern in _PRINTED_PATTERNS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        parts = match.groupdict()
        month: int | None
        if parts.get("month"):
            month = _MONTHS.get(parts["month"].lower())
            if month is None:
                return None
        else:
            month = int(parts["nmonth"]) if parts.get("nmonth") else None
        day = int(parts["day"]) if parts.get("day") else None
        minutes = None
        if parts.get("noon"):
            minutes = 12 * 60 if parts["noon"].lower() == "noon" else 0
        elif parts.get("hour"):
            hour = int(parts["hour"])
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if parts["half"].lower() == "p" else 0)
            minutes = hour * 60 + int(parts.get("minute") or 0)
        return PrintedDate(int(parts["year"]), month, day, minutes)
    return None


def _printed_text(element: etree._Element) -> str:
    # a note inside a date is apparatus, not the printed date
    parts = [element.text or ""]
    for child in element:
        if child.tag != _NOTE and isinstance(child.tag, str):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


@rule("printed-dates", "W0206")
def check_printed_dates(document: Document) -> Iterator[Diagnostic]:
    """A date's @when agrees with its printed text, where that text is a plain date."""
    for element in facts_of(document).dated:
        if element.tag not in PRINTED_DATES or element.get("when") is None:
            continue
        value = parse_temporal(element.get("when", "").strip())
        if isinstance(value, str) or value.year is None:
            continue
        text = _printed_text(element)
        printed = parse_printed_date(text)
        if printed is None:
            continue
        minutes = int(value.seconds // 60) if value.seconds is not None else None
        pairs = [(printed.year, value.year), (printed.month, value.month), (printed.day, value.day),
                 (printed.minutes, minutes)]
        if printed.minutes == 0 and minutes == 24 * 60:
            pairs.pop()                     # midnight written as 24:00:00
        if any(p is not None and m is not None and p != m for p, m in pairs):
            yield document.diagnostic(
                element, "W0206", f"@when=\"{element.get('when')}\" disagrees with the printed date "
                f"\"{' '.join(text.split())}\"; correct whichever is wrong")


# ---------------------------------------------------------------------------
# E0207 notes, E0208 pages
# ---------------------------------------------------------------------------

def _number(value: str | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


_ROMAN = re.compile(r"(?=[mdclxvi])m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})", re.I)
_ROMAN_VALUES = {"m": 1000, "d": 500, "c": 100, "l": 50, "x": 10, "v": 5, "i": 1}


def _roman(value: str) -> int | None:
    value = value.strip()
    if not value or not _ROMAN.fullmatch(value):
        return None
    total, previous = 0, 0
    for letter in reversed(value.lower()):
        amount = _ROMAN_VALUES[letter]
        total = total - amount if amount < previous else total + amount
        previous = max(previous, amount)
    return total


def _document_divisions(document: Document) -> set[etree._Element]:
    return {div for div in document.root.iter(_DIV) if div.get("type") == "document"}


def _nearest(element: etree._Element, among: set[etree._Element]) -> etree._Element | None:
    for ancestor in element.iterancestors():
        if ancestor in among:
            return ancestor
    return None


def _sections(document: Document) -> set[etree._Element]:
    """Top-level divisions of the texts: a note sequence may restart in each (books number by chapter)."""
    return {div for text in document.root.iter(_TEXT) for part in text for div in part if div.tag == _DIV}


def _label(document: Document, unit: etree._Element) -> str:
    if unit.tag == _TEXT:
        return "the text"
    name = unit.get(XML_ID) or document.ref_of(unit)
    return f"document {name}" if name else f"the document at line {_line(document, unit)}"


def _note_sequences(document: Document, notes: list[etree._Element]
                    ) -> tuple[dict[etree._Element, list[etree._Element]], set[etree._Element]]:
    """Notes grouped by the unit they are numbered in, and the notes allowed to restart at 0 or 1.

    A volume of documents (div[@type='document']) numbers its notes within each
    document; any other text numbers them through the text, or afresh in each
    top-level division: both are common, so both are accepted.
    """
    documents = _document_divisions(document)
    sequences: dict[etree._Element, list[etree._Element]] = {}
    restarts: set[etree._Element] = set()
    if documents:
        for note in notes:
            unit = _nearest(note, documents)
            if unit is not None:
                sequences.setdefault(unit, []).append(note)
        restarts = {members[0] for members in sequences.values()}
        return sequences, restarts
    sections = _sections(document)
    seen: set[etree._Element | None] = set()
    for note in notes:
        texts = list(note.iterancestors(_TEXT))
        text = texts[-1] if texts else None     # the outermost: a <group> numbers through its texts
        if text is None:
            continue                        # a note of the header: not part of the text's numbering
        members = sequences.setdefault(text, [])
        section = _nearest(note, sections)
        if not members or (section is not None and section not in seen):
            restarts.add(note)
        seen.add(section)
        members.append(note)
    return sequences, restarts


@rule("note-numbers", "E0207")
def check_note_numbers(document: Document) -> Iterator[Diagnostic]:
    """Numbered notes (numeric @n) run 0 or 1, 2, 3 … within each document."""
    notes = [note for note in facts_of(document).notes if _number(note.get("n")) is not None]
    if not notes:
        return
    sequences, restarts = _note_sequences(document, notes)
    for unit, members in sequences.items():
        previous: etree._Element | None = None
        for note in members:
            number = _number(note.get("n"))
            assert number is not None
            before = _number(previous.get("n")) if previous is not None else None
            if number in (0, 1) and note in restarts:
                pass
            elif before is None:
                yield document.diagnostic(
                    note, "E0207", f"the first numbered note of {_label(document, unit)} has n=\"{number}\"; "
                    "notes are numbered from 0 (a source note) or 1: renumber them")
                break
            elif number != before + 1:
                assert previous is not None
                yield document.diagnostic(
                    note, "E0207", f"note n=\"{number}\" follows note n=\"{before}\" (line "
                    f"{_line(document, previous)}) in {_label(document, unit)}; expected n=\"{before + 1}\"" +
                    (" (or 0 or 1 to restart in a new division)" if note in restarts else "") +
                    ": renumber the notes consecutively")
                break
            previous = note


@rule("page-numbers", "E0208")
def check_page_numbers(document: Document) -> Iterator[Diagnostic]:
    """Page breaks (numeric or roman pb/@n) ascend within each text and edition."""
    last: dict[tuple[object, str, str], tuple[int, etree._Element]] = {}
    for page in facts_of(document).pages:
        value = page.get("n")
        if value is None:
            continue
        number, kind = _number(value), "arabic"
        if number is None:
            number, kind = _roman(value), "roman"
        if number is None:
            continue                        # "A1", "594a", "[5]": not in a sequence
        tei_root = next(page.iterancestors(tei("TEI")), None)
        key = (tei_root, page.get("ed", ""), kind)
        seen = last.get(key)
        if seen is not None and number <= seen[0]:
            yield document.diagnostic(
                page, "E0208", f"page n=\"{value}\" follows page n=\"{seen[1].get('n')}\" (line "
                f"{_line(document, seen[1])}); page numbers must ascend: correct @n"
                + (f" (edition '{page.get('ed')}')" if page.get("ed") else ""))
        last[key] = (number, page)


# ---------------------------------------------------------------------------
# E0209 empty paragraphs and heads
# ---------------------------------------------------------------------------

def _is_empty(element: etree._Element) -> bool:
    if element.text and not element.text.isspace():
        return False
    for child in element.iterdescendants():
        tag = child.tag
        if child.tail and not child.tail.isspace():
            return False                    # text after a child is still inside the element
        if not isinstance(tag, str):        # comments and processing instructions
            continue
        if tag not in CONTENTLESS and tag not in EMPTY_WRAPPERS:
            return False
        if child.text and not child.text.isspace():
            return False
    return True


@rule("empty-blocks", "E0209")
def check_empty_blocks(document: Document) -> Iterator[Diagnostic]:
    """No paragraph or heading is empty."""
    for element in facts_of(document).blocks:
        if _is_empty(element):
            yield document.diagnostic(
                element, "E0209", f"empty <{local_name(element)}>: write its text or remove it"
                + (" (a page break alone belongs between paragraphs, not in an empty one)"
                   if any(True for _ in element.iter(_PB)) else ""))
