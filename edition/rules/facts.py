"""The index the rules read: one pass over a file's tree, and its pointer tokens classified.

:class:`Facts` holds what every rule needs (ids, pointers, dated elements, notes, pages,
blocks), collected once per document by :func:`facts_of`, so that a 3 MB volume is checked in
a fraction of a second; :func:`classify` says what a pointer token names (cached in it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple
from urllib.parse import unquote

from lxml import etree

from ..document import TEI_NS, XML_ID, Document, tei

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

_NOTE, _PB, _P, _HEAD = tei("note"), tei("pb"), tei("p"), tei("head")
_TEI_PREFIX = "{" + TEI_NS + "}"
_DATE_NAMES = frozenset(DATE_ATTRIBUTES)


class Pointer(NamedTuple):
    """One pointer attribute of a TEI element (a named tuple: a volume has 12,000 of them)."""

    element: etree._Element
    attribute: str
    value: str


# What an attribute's name makes it for :meth:`Facts.collect`, in one look-up (bits: @from and
# @to are pointers when they start with "#", and dates too).
_ID, _POINTER, _HASH_POINTER, _DATE = 1, 2, 4, 8
_KIND_OF: dict[str, int] = {XML_ID: _ID}
for _names, _kind in ((POINTER_ATTRIBUTES, _POINTER), (HASH_POINTER_ATTRIBUTES, _HASH_POINTER), (_DATE_NAMES, _DATE)):
    for _name in _names:
        _KIND_OF[_name] = _KIND_OF.get(_name, 0) | _kind
_NOT_DATABLE_TAGS = frozenset(_TEI_PREFIX + name for name in NOT_DATABLE)


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
        ids, duplicates, dated = facts.ids, facts.duplicate_ids, facts.dated
        add_pointer = facts.pointers.append
        kind_of, pointer = _KIND_OF, tuple.__new__  # a Pointer without the call to its __new__
        # The document's attribute profile is made in the same walk (the schemas and the
        # Schematron read it): one walk instead of two, 0.014 s less on the FRUS volume.
        profile: dict[str, set[str]] = {}
        for element in document.root.iter(etree.Element):
            items = element.items()
            tag = element.tag
            names = profile.get(tag)
            if names is None:
                names = profile[tag] = set()
            if not items:
                continue
            has_date = False
            in_tei: bool | None = None
            for name, value in items:
                names.add(name)
                kind = kind_of.get(name)
                if kind is None:
                    continue
                if kind == _ID:
                    if value in ids:
                        duplicates.append((value, element))
                    else:
                        ids[value] = element
                    continue
                if in_tei is None:
                    # attributes of other vocabularies (SVG, MathML, TEI's own examples in
                    # egXML) are not TEI pointers or dates
                    in_tei = tag.startswith(_TEI_PREFIX)
                if not in_tei:
                    continue
                if kind & _POINTER or (kind & _HASH_POINTER and value.lstrip()[:1] == "#"):
                    add_pointer(pointer(Pointer, (element, name, value)))
                if kind & _DATE:
                    has_date = True
            if has_date and tag not in _NOT_DATABLE_TAGS:
                dated.append(element)
        vars(document).setdefault("attribute_profile", {tag: frozenset(names) for tag, names in profile.items()})
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


def facts_of(document: Document) -> Facts:
    """The :class:`Facts` of ``document`` (collected once, shared by every rule)."""
    # kept in the document's own cache, not in a WeakKeyDictionary keyed by the document:
    # Facts refers to its document, so such a key never died and every tree checked stayed
    # in memory for the life of the process (a worker validating a corpus, the fuzz tests)
    found = document.cache.get("rules.facts")
    if found is None:
        found = document.cache["rules.facts"] = Facts.collect(document)
    return found


def line_of(document: Document, element: etree._Element) -> int:
    """The line of ``element``'s start tag (in its own file)."""
    return document.position(element)[0]


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

