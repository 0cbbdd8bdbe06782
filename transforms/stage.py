"""The transform stage: the edition's decisions, made once for every output.

As Docutils runs its transforms between the reader and the writers, :func:`decide`
walks a loaded document once, before any writer, and takes the decisions that
the HTML, text and print writers used to take each for itself (and take
differently).  Writers only render them (:class:`Decisions` is
``ctx.decisions`` in every behaviour method).  The rules:

Notes
    A note keeps its ``@n`` (white space normalised).  The others are numbered
    1, 2, 3… in document order (a note before the notes inside it), skipping
    every number an ``@n`` of the same scope uses, so that no two notes of a
    scope share a label: ``a<note n="1"/> b<note/> c<note n="2"/> d<note/>`` is
    labelled 1, 3, 2, 4 in every output.  The scope is the note's document
    division (``div[@type='document']``), else the header, else the file.  The
    source note (``@type='source'`` or ``@n='0'``) is marked as such.
Readings
    ``choice``: the reading text shows ``corr``, ``reg``, ``expan`` or ``ex``
    (else the first branch), the diplomatic text ``sic``, ``orig``, ``abbr`` or
    ``am`` (else the next branch); a correction or regularisation also gets a
    letter (a, b, … per scope) for the print edition's textual note, which
    records the other reading.  ``app``: both texts show the lemma (``lem``,
    else the first ``rdg``); every other reading goes into an apparatus note
    (numbered like any note) made of its text and its witnesses, "om." for
    an empty one.  ``subst``: the reading text shows the ``add``, the
    diplomatic text ``del`` and ``add`` both.  The reading not shown is kept:
    the web page holds both (its switch shows one), the print edition records
    a correction's original in its lettered note, the text output gives the
    other with ``--diplomatic``.  Writers render these three elements with
    their ``alternate`` behaviour whatever the table's row (the engine sees
    to it), so that the table says how an element looks and the stage what
    it says.
Headings
    A ``head`` of a division (or of ``body``, ``front``, ``back``, ``text``,
    ``group``, ``floatingText``) has a level: the number of divisions around
    it, counted outwards up to and including a document division (at least 1),
    leaving out those between that have no ``head`` of their own.
    Any other ``head`` (of a list, table, figure, line group, speech) is a
    caption: no level.
Breaks
    ``lb``, ``pb`` and ``cb`` with ``@break='no'`` join the word they split:
    the white space around them goes, and so does white space after the
    forme work, breaks and anchors that follow them up to the rest of the word
    (those breaks are joined too).  A hyphen printed before an ``lb`` of that
    kind is dropped from the reading text and kept in the diplomatic one (a
    hyphen before a ``pb`` is kept: page breaks of the source split compounds).
    The page breaks printed between the previous unit and a division (just
    before it, or opening its chapter) are rendered with it
    (:meth:`Decisions.breaks_before`).
White space
    Two block-like siblings (by their behaviour in the table) with nothing
    between them get a space, so that a writer that sets them inline does
    not glue their words; a ``c`` of white space only is one space.
Generated content
    ``divGen`` (a table of contents, type ``toc`` or none) becomes a division
    with a head and a list of links to the divisions of its text.
Contents of a page
    A unit holding at least :data:`CONTENTS_MIN` divisions with a heading (a
    play's acts and scenes, a book's chapters) lists them, nested as they are
    nested (a division without a heading lists its own under its parent's):
    :meth:`Decisions.contents`.  A division without ``xml:id`` is given an
    anchor, ``sec-N`` for the unit's Nth division in document order.  A unit
    whose encoder placed a table of contents (``divGen``) gets no other.

The user's tree is never changed: decisions are kept by element, so line
numbers, XPaths and canonical references of the source still hold.  What the
stage makes (apparatus notes, generated contents) is a small detached TEI
tree without ``xml:id``; :meth:`Decisions.origin` leads back to its source.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from edition.document import DIVISIONS, XML_ID, Document, local_name, tei

from .behaviours import DEFAULT, BehaviourTable

__all__ = ["CONTENTS_MIN", "DIVISIONS", "Alternate", "ContentsEntry", "Decisions", "NoteLabel", "Segment",
           "branches", "decide", "letters", "plain_text"]

_NOTE, _HEAD, _LB, _PB, _CB, _C = (tei(n) for n in ("note", "head", "lb", "pb", "cb", "c"))
_CHOICE, _APP, _SUBST, _DIVGEN = (tei(n) for n in ("choice", "app", "subst", "divGen"))
_LEM, _RDG, _ADD = tei("lem"), tei("rdg"), tei("add")
_BREAKS = frozenset({_LB, _PB, _CB})
_HEADER_LIKE = frozenset(tei(n) for n in ("teiHeader", "standOff", "facsimile"))
#: Heads of these title a part of the text; heads of anything else are captions.
_TITLED = DIVISIONS | frozenset(tei(n) for n in ("body", "front", "back", "text", "group", "floatingText"))
#: Not text between a break="no" and the rest of its word.
_INVISIBLE = _BREAKS | frozenset(tei(n) for n in ("fw", "milestone", "anchor"))
#: What may stand between two units besides page breaks: titles of the parts that hold them.
_BETWEEN_UNITS = _INVISIBLE | frozenset({_HEAD})
#: The parts that hold units (a volume's compilations and chapters, its front, body and back).
_PARTS = DIVISIONS | frozenset(tei(n) for n in ("body", "front", "back", "group"))
_FRONT_BACK = frozenset({tei("front"), tei("back")})
_READING_FIRST = ("corr", "reg", "expan", "ex")
_DIPLOMATIC_FIRST = ("sic", "orig", "abbr", "am")
#: Readings the print edition records in a lettered textual note: reading → original.
_TEXTUAL = {"corr": "sic", "reg": "orig"}
#: Characters that print a hyphen at the end of a line.
_HYPHENS = frozenset("-\u2010\u00ac\u2e17\u00ad")
_XML_SPACE = " \t\r\n"
_SPACE_RUN = re.compile(r"[ \t\r\n]+")

#: Behaviours whose elements are blocks: siblings of these never share a word.
BLOCK_BEHAVIOURS = frozenset({"document", "block", "heading", "paragraph", "list", "item", "label",
                              "table", "row", "cell", "figure"})
#: The same for :func:`plain_text`, which has no table (titles, labels, citations).
_PLAIN_BLOCKS = DIVISIONS | frozenset(tei(n) for n in (
    "p", "ab", "head", "item", "label", "list", "l", "lg", "row", "cell", "table", "titlePart",
    "addrLine", "dateline", "salute", "signed", "byline", "opener", "closer", "sp", "speaker"))

#: A unit lists its divisions (:meth:`Decisions.contents`) when it has at least this many with a
#: heading: fewer are seen at a glance.
CONTENTS_MIN = 3

#: A piece of text and the reading that shows it: ``""`` (both), ``"reading"`` or ``"diplomatic"``.
Segment = tuple[str, str]


@dataclass(frozen=True)
class NoteLabel:
    """The call of a note, the same in every output."""

    label: str
    source: bool = False


@dataclass(frozen=True)
class Alternate:
    """What the reading and the diplomatic text of a ``choice``, ``app`` or ``subst`` show."""

    kind: str
    reading: tuple[etree._Element, ...]
    diplomatic: tuple[etree._Element, ...]
    #: the print edition's lettered textual note ("" when there is none)
    letter: str = ""
    #: the apparatus note of an ``app`` (generated; rendered as a note where the app stands)
    note: etree._Element | None = None

    def shown(self, diplomatic: bool) -> tuple[etree._Element, ...]:
        return self.diplomatic if diplomatic else self.reading


@dataclass(frozen=True)
class ContentsEntry:
    """A division in the contents of its unit."""

    division: etree._Element
    #: its first heading's text (notes left out)
    title: str
    #: 1 for a division no other listed division holds, 2 inside one, …
    depth: int
    #: its anchor when it has no ``xml:id`` of its own (``sec-N``)
    anchor: str


class Decisions:
    """Every decision of the stage for one document, keyed by element."""

    def __init__(self, document: Document, table: BehaviourTable = DEFAULT) -> None:
        self.document = document
        self.table = table
        self.notes: dict[etree._Element, NoteLabel] = {}
        self.alternates: dict[etree._Element, Alternate] = {}
        self.levels: dict[etree._Element, int] = {}
        #: text (before the first child) and tail overrides: the segments writers render instead
        self.texts: dict[etree._Element, tuple[Segment, ...]] = {}
        self.tails: dict[etree._Element, tuple[Segment, ...]] = {}
        #: breaks that join the word they stand in (``@break='no'`` and those they absorb)
        self.joined: set[etree._Element] = set()
        #: element → the content the stage made for it (divGen)
        self.generated: dict[etree._Element, etree._Element] = {}
        self._origins: dict[etree._Element, etree._Element] = {}
        self._taken: dict[etree._Element, set[str]] = {}
        self._counters: dict[etree._Element, int] = {}
        self._letters: dict[etree._Element, int] = {}
        self._contents: dict[etree._Element, tuple[ContentsEntry, ...]] = {}
        self._walk(document.root)

    # -- what writers ask ------------------------------------------------------------
    def note(self, node: etree._Element) -> NoteLabel:
        found = self.notes.get(node)
        if found is None:  # a note the stage did not see (a tree built after it): numbered now
            found = self._number(node, self._scope(node))
        return found

    def heading_level(self, head: etree._Element) -> int | None:
        """The level of a division's head (1 = a document's title); None for a caption."""
        return self.levels.get(head)

    def alternate(self, node: etree._Element) -> Alternate:
        found = self.alternates.get(node)
        if found is None:
            found = self._alternate(node)
        return found

    def is_joined(self, node: etree._Element) -> bool:
        return node in self.joined

    def breaks_before(self, unit: etree._Element) -> list[etree._Element]:
        """Page breaks printed between the previous unit (a document, or a division of the front
        or back) and this division, in no unit: rendered with it.  Besides those just before it,
        a page opening a chapter is one: before the chapter's head, between two chapters, at the
        end of the previous chapter, between the front and the body."""
        if unit.tag not in DIVISIONS:
            return []
        found: list[etree._Element] = []
        node: etree._Element | None = _before(unit)
        while node is not None:
            if node.tag == _PB:
                found.append(node)
            elif isinstance(node.tag, str) and node.tag not in _BETWEEN_UNITS:
                if node.tag not in _PARTS or _is_unit(node):
                    break  # the previous unit, or text of none (a chapter's introduction)
                if len(node):  # a chapter the walk goes back into, from its end
                    node = node[-1]
                    continue
            node = _before(node)
        return found[::-1]

    def origin(self, node: etree._Element) -> etree._Element:
        """The source element of something the stage made (itself for source elements)."""
        return self._origins.get(node, node)

    def contents(self, unit: etree._Element) -> tuple[ContentsEntry, ...]:
        """The headed divisions inside ``unit``, in document order, when it has
        :data:`CONTENTS_MIN` of them and no ``divGen`` table of contents; else none."""
        found = self._contents.get(unit)
        if found is None:
            found = self._contents[unit] = self._list_contents(unit)
        return found

    def _list_contents(self, unit: etree._Element) -> tuple[ContentsEntry, ...]:
        if any(divgen in self.generated for divgen in unit.iter(_DIVGEN)):
            return ()  # the encoder chose where the table of contents stands, and what it is
        depths: dict[etree._Element, int] = {}
        entries: list[ContentsEntry] = []
        for number, division, title in _headed_divisions(unit):
            depth = 1 + next((depths[a] for a in division.iterancestors() if a in depths), 0)
            depths[division] = depth
            entries.append(ContentsEntry(division, title, depth, f"sec-{number}"))
        return tuple(entries) if len(entries) >= CONTENTS_MIN else ()

    # -- the pass --------------------------------------------------------------------
    def _walk(self, root: etree._Element) -> None:
        # lxml's tag-filtered iterators (C) find the few elements each rule is about; only the
        # check for glued blocks visits every element (0.07 s on a FRUS volume, all rules)
        scopes = {note: self._scope(note) for note in root.iter(_NOTE)}
        for note, scope in scopes.items():
            label = _label(note)
            if label:
                self._taken.setdefault(scope, set()).add(label)
        for element in root.iter(_NOTE, _APP):  # document order: an app's note is numbered where it stands
            if element.tag == _APP:
                self.alternates[element] = self._alternate(element)
            elif element not in self.notes and not self._in_apparatus(element):
                self._number(element, scopes[element])
        for element in root.iter(_CHOICE, _SUBST):
            self.alternates[element] = self._alternate(element)
        for head in root.iter(_HEAD):
            self._level(head)
        for brk in root.iter(_LB, _PB, _CB):
            if brk.get("break") == "no":
                self._join(brk)
        for element in root.iter(_C):
            if element.text and not element.text.strip(_XML_SPACE) and not len(element):
                self.texts[element] = ((" ", ""),)
        for element in root.iter(_DIVGEN):
            self._generate(element)
        for element in root.iter():  # (an XPath for these takes three times as long)
            if not element.tail:
                following = element.getnext()
                if (following is not None and isinstance(following.tag, str) and isinstance(element.tag, str)
                        and _is_block(self.table, element) and _is_block(self.table, following)):
                    self.tails[element] = ((" ", ""),)

    def _scope(self, node: etree._Element) -> etree._Element:
        for ancestor in self._source_ancestors(node):
            if ancestor.get("type") == "document" and ancestor.tag in DIVISIONS:
                return ancestor
            if ancestor.tag in _HEADER_LIKE:
                return ancestor
        return self.document.root

    def _source_ancestors(self, node: etree._Element) -> Iterator[etree._Element]:
        node = self.origin(node)
        while True:
            yield from node.iterancestors()
            top = node
            parent = top.getparent()
            while parent is not None:
                top, parent = parent, parent.getparent()
            if top not in self._origins:
                return
            node = self._origins[top]  # made by the stage: go on from the element it stands for
            yield node

    def _in_apparatus(self, note: etree._Element) -> bool:
        """Whether a note stands in an app's other reading: its copy in the apparatus note is
        the one rendered (and numbered), not the note itself."""
        for rdg in note.iterancestors(_RDG):
            app = _owner(rdg)
            if app is not None and app in self.alternates and rdg not in self.alternates[app].reading:
                return True
        return False

    def _number(self, note: etree._Element, scope: etree._Element) -> NoteLabel:
        label = _label(note)
        if not label:
            taken = self._taken.setdefault(scope, set())
            number = self._counters.get(scope, 0) + 1
            while str(number) in taken:
                number += 1
            self._counters[scope] = number
            label = str(number)
        found = NoteLabel(label, note.get("type") == "source" or label == "0")
        self.notes[note] = found
        return found

    def _letter(self, scope: etree._Element) -> str:
        number = self._letters[scope] = self._letters.get(scope, 0) + 1
        return letters(number)

    def _alternate(self, node: etree._Element) -> Alternate:
        reading, diplomatic = branches(node)
        if node.tag == _APP:
            lemma = reading[0] if reading else None
            others = [r for r in node.iter(_RDG) if r is not lemma and _owner(r) is node]
            return Alternate("app", reading, diplomatic, note=self._apparatus(node, others) if others else None)
        letter = ""
        if node.tag == _CHOICE and reading and diplomatic and reading != diplomatic \
                and _TEXTUAL.get(local_name(reading[0])) == local_name(diplomatic[0]):
            letter = self._letter(self._scope(node))
        return Alternate("subst" if node.tag == _SUBST else "choice", reading, diplomatic, letter)

    def _apparatus(self, app: etree._Element, readings: list[etree._Element]) -> etree._Element:
        """The note recording an app's other readings: text and witnesses of each, '; ' between."""
        note = etree.Element(_NOTE, type="apparatus")
        self._origins[note] = app
        last: etree._Element | None = None
        for position, rdg in enumerate(readings):
            seg = etree.SubElement(note, tei("seg"), type="reading")
            self._origins[seg] = rdg
            seg.text = rdg.text
            for child in rdg:
                made = copy.deepcopy(child)
                for copied, source in zip(made.iter(), child.iter(), strict=True):
                    if XML_ID in copied.attrib:  # a copy must not take its source's id
                        del copied.attrib[XML_ID]
                    self._origins[copied] = source
                seg.append(made)
            if not plain_text(rdg):
                seg.text, seg[:] = "om.", []
            witnesses = " ".join(token.lstrip("#") for token in (rdg.get("wit") or "").split())
            seg.tail = (f" {witnesses}" if witnesses else "") + ("; " if position + 1 < len(readings) else "")
            last = seg
        if last is not None:
            last.tail = (last.tail or "") + "."
        scope = self._scope(app)
        self._number(note, scope)
        for inner in note.iter(_NOTE):
            if inner is not note:
                self._number(inner, scope)
        return note

    def _level(self, head: etree._Element) -> None:
        parent = head.getparent()
        if parent is None or parent.tag not in _TITLED:
            return
        level = 0
        for ancestor in (parent, *parent.iterancestors()):
            if ancestor.tag in DIVISIONS:
                is_document = ancestor.get("type") == "document"
                # a division without a heading (a play's act whose scenes have them) adds no level:
                # a page's headings then never skip one (h2 to h4), which HTML checkers refuse
                if ancestor is parent or is_document or ancestor.find(_HEAD) is not None:
                    level += 1
                if is_document:
                    break
        self.levels[head] = max(level, 1)

    # -- breaks that join a word ---------------------------------------------------------
    def _segments(self, holder: etree._Element, tail: bool) -> list[Segment]:
        made = (self.tails if tail else self.texts).get(holder)
        if made is not None:
            return list(made)
        value = holder.tail if tail else holder.text
        return [(value, "")] if value else []

    def _store(self, holder: etree._Element, tail: bool, segments: list[Segment]) -> None:
        (self.tails if tail else self.texts)[holder] = tuple(s for s in segments if s[0])

    def _join(self, brk: etree._Element) -> None:
        self.joined.add(brk)
        previous = brk.getprevious()
        holder, tail = (previous, True) if previous is not None else (brk.getparent(), False)
        if holder is not None:
            segments = self._segments(holder, tail)
            if segments and segments[-1][1] == "":
                text = segments[-1][0].rstrip(_XML_SPACE)
                kept: list[Segment] = [(text, "")]
                if brk.tag == _LB and _drops_hyphen(text):
                    kept = [(text[:-1], ""), (text[-1], "diplomatic")]
                if kept != segments[-1:]:
                    self._store(holder, tail, segments[:-1] + kept)
        node: etree._Element | None = brk
        while node is not None:
            segments = self._segments(node, True)
            if segments and segments[0][1] == "":
                text = segments[0][0].lstrip(_XML_SPACE)
                if text != segments[0][0]:
                    self._store(node, True, [(text, ""), *segments[1:]])
                if text:
                    return
            elif segments:
                return
            node = node.getnext()
            if node is not None and isinstance(node.tag, str):
                if node.tag not in _INVISIBLE:
                    return
                if node.tag in _BREAKS:
                    self.joined.add(node)

    # -- generated content -----------------------------------------------------------------
    def _generate(self, divgen: etree._Element) -> None:
        kind = (divgen.get("type") or "toc").lower()
        if kind not in ("toc", "contents"):
            return
        text = next((a for a in divgen.iterancestors(tei("text"))), self.document.root)
        made = etree.Element(tei("div"), type="contents")
        head = divgen.find(_HEAD)
        title = etree.SubElement(made, _HEAD)
        title.text = plain_text(head) if head is not None else "Contents"
        listing = etree.SubElement(made, tei("list"), type="toc")
        for _, division, shown in _headed_divisions(text):
            item = etree.SubElement(listing, tei("item"))
            if division.get(XML_ID):
                link = etree.SubElement(item, tei("ref"), target=f"#{division.get(XML_ID)}")
                link.text = shown
            else:
                item.text = shown
            self._origins[item] = division
        if not len(listing):
            return
        level = sum(1 for a in divgen.iterancestors() if a.tag in DIVISIONS) + 1
        self.levels[title] = level
        self._origins[made] = self._origins[title] = self._origins[listing] = divgen
        self.generated[divgen] = made


def decide(document: Document, table: BehaviourTable = DEFAULT) -> Decisions:
    """The decisions of the stage for ``document``: made on first use, then kept with it."""
    made: dict[BehaviourTable, Decisions] = document.cache.setdefault("stage.decisions", {})
    found = made.get(table)
    if found is None:
        found = made[table] = Decisions(document, table)
    return found


def letters(number: int) -> str:
    """1 → a, 26 → z, 27 → aa: the edition's lettered notes."""
    label = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        label = chr(ord("a") + rest) + label
    return label


def _label(note: etree._Element) -> str:
    value = note.get("n")
    return _SPACE_RUN.sub(" ", value).strip() if value else ""


def _first(branches: list[etree._Element], names: tuple[str, ...]) -> etree._Element | None:
    for name in names:
        for branch in branches:
            if local_name(branch) == name:
                return branch
    return None


def _owner(rdg: etree._Element) -> etree._Element | None:
    return next(rdg.iterancestors(_APP), None)


def _before(node: etree._Element) -> etree._Element | None:
    """The node before ``node`` in document order, its ancestors left out (a node's previous
    sibling, else its parent's, and so on): a walk back that then goes into what it meets."""
    current: etree._Element | None = node
    while current is not None:
        previous = current.getprevious()
        if previous is not None:
            return previous
        current = current.getparent()
    return None


def _headed_divisions(container: etree._Element) -> Iterator[tuple[int, etree._Element, str]]:
    """The divisions inside ``container`` that have a heading with text, in document order:
    (position among all its divisions, from 1; division; heading text, notes left out)."""
    divisions = (d for d in container.iter(*DIVISIONS) if d is not container)
    for number, division in enumerate(divisions, start=1):
        head = division.find(_HEAD)
        title = plain_text(head) if head is not None else ""
        if title:
            yield number, division, title


def _is_unit(division: etree._Element) -> bool:
    """A division a volume renders as a page: a document, or a division of the front or back."""
    parent = division.getparent()
    return division.get("type") == "document" or (parent is not None and parent.tag in _FRONT_BACK)


def _is_block(table: BehaviourTable, element: etree._Element) -> bool:
    model = table.select(element, ())
    return model is not None and model.behaviour in BLOCK_BEHAVIOURS


# -- plain text: titles, labels, citations ------------------------------------------------

def plain_text(element: etree._Element | None, *, diplomatic: bool = False, notes: bool = False) -> str:
    """The text of an element by the stage's rules, white space normalised: notes and forme
    work left out (unless ``notes``), one reading of each choice/app/subst, words joined
    across ``@break='no'``, blocks kept apart.  The one "text without notes" of the toolkit
    (titles, running heads, index labels, citation metadata)."""
    if element is None:
        return ""
    parts: list[str] = []
    _plain(element, parts, diplomatic, notes)
    return _SPACE_RUN.sub(" ", "".join(p for p in parts if p != _JOIN)).strip(_XML_SPACE)


#: Marks the place of a break="no" in :func:`plain_text`: the next text loses its leading space.
_JOIN = "\x00"


def _plain(element: etree._Element, parts: list[str], diplomatic: bool, notes: bool) -> None:
    tag = element.tag
    if not isinstance(tag, str) or (tag == _NOTE and not notes) or tag == tei("fw"):
        return
    if tag in _BREAKS:
        if parts and parts[-1] == _JOIN:
            return  # a break between the halves of a word already joined (a page's last lb)
        if element.get("break") == "no":
            text = "".join(parts).rstrip(_XML_SPACE)
            if tag == _LB and not diplomatic and _drops_hyphen(text):
                text = text[:-1]
            parts[:] = [text, _JOIN]  # the next text joins without its leading space
        else:
            parts.append(" ")
        return
    if tag in (_CHOICE, _APP, _SUBST):
        reading, shown = branches(element)
        for branch in shown if diplomatic else reading:
            _plain(branch, parts, diplomatic, notes)
        return
    block = tag in _PLAIN_BLOCKS
    if block:
        parts.append(" ")
    _text(parts, element.text)
    for child in element:
        _plain(child, parts, diplomatic, notes)
        _text(parts, child.tail)
    if block:
        parts.append(" ")


def _text(parts: list[str], value: str | None) -> None:
    if not value:
        return
    if parts and parts[-1] == _JOIN:
        value = value.lstrip(_XML_SPACE)
        if not value:
            return
        parts[-1] = value
        return
    parts.append(value)


def branches(node: etree._Element) -> tuple[tuple[etree._Element, ...], tuple[etree._Element, ...]]:
    """What the reading and the diplomatic text of a choice, app or subst show (the rule of the
    module docstring; :class:`Decisions` and :func:`plain_text` both follow it)."""
    children = [child for child in node if isinstance(child.tag, str)]
    if node.tag == _APP:
        lemma = next((c for c in children if c.tag == _LEM), None)
        if lemma is None:
            lemma = next((r for r in node.iter(_RDG) if _owner(r) is node), None)
        shown = (lemma,) if lemma is not None else ()
        return shown, shown
    if node.tag == _SUBST:
        return tuple(c for c in children if c.tag == _ADD) or tuple(children[-1:]), tuple(children)
    reading = _first(children, _READING_FIRST)
    if reading is None and children:
        reading = children[0]
    diplomatic = _first(children, _DIPLOMATIC_FIRST)
    if diplomatic is None:
        diplomatic = next((c for c in children if c is not reading), reading)
    return ((reading,) if reading is not None else ()), ((diplomatic,) if diplomatic is not None else ())


def _drops_hyphen(text: str) -> bool:
    """Whether ``text`` ends with a hyphen printed at a line's end (not a dash after a space or digit)."""
    return bool(text) and text[-1] in _HYPHENS and (text[-1] != "-" or text[-2:-1].isalpha())
