"""Canonical references (``d300``, ``d300.p4``) from a document's citeStructure.

TEI's ``refsDecl/citeStructure`` says which elements are citable and how
their reference is built: ``match`` selects the units (relative to the
parent unit), ``use`` gives each one's value and ``delim`` the string put
before it.  A document without a citeStructure falls back to its divisions
(``div[@type='document']`` or the body's top-level divisions, by xml:id, then
an @n no other division has, then position) and then to paragraph position;
:attr:`Citer.source` says which.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from .diagnostics import Diagnostic
from .names import NAMESPACES, TEI_NS, XML_ID, local_name, tei

if TYPE_CHECKING:
    from .parsed import ParsedFile


#: Characters of a reference compared when looking for the nearest valid ones.
NEAREST_CHARS = 40
#: Character pairs compared in all (a few tenths of a second), however many references.
NEAREST_WORK = 4_000_000


@dataclass
class CiteUnit:
    ref: str
    element: etree._Element
    unit: str
    parent: CiteUnit | None = None
    children: list[CiteUnit] = field(default_factory=list)


@dataclass(frozen=True)
class CiteLevel:
    """One citeStructure, its XPath compiled once."""

    match: str
    use: str
    delim: str
    unit: str
    children: tuple[CiteLevel, ...]


# A citeStructure's XPath is evaluated by lxml when it is a plain path (steps of names, with
# predicates comparing attributes to literals): that is what citeStructures hold in practice, and
# it spares validation the import of elementpath (0.09 s).  Anything else goes to elementpath.
_TOKEN = re.compile(r"""\s+|//|/|\.\.|\.|\*|\[|\]|=|!=|@(?:xml:)?[A-Za-z_][\w.-]*|'[^']*'|"[^"]*"|[A-Za-z_][\w.-]*""")
_evaluators: dict[str, Callable[[etree._Element, etree._Element], object]] = {}


def _as_lxml_path(expression: str) -> str | None:
    """``/TEI/text/body/div[@type='document']`` → ``/tei:TEI/…`` (None when not a plain path)."""
    out: list[str] = []
    position, depth = 0, 0
    for match in _TOKEN.finditer(expression):
        if match.start() != position:
            return None
        position = match.end()
        token = match.group()
        if token == "[":
            depth += 1
        elif token == "]":
            depth -= 1
        elif token[0].isalpha() or token[0] == "_":
            if depth or (out and out[-1] not in ("/", "//")):
                return None  # a name inside a predicate or after an operand: not a plain path
            token = f"tei:{token}"
        out.append(token)
    if position != len(expression) or depth or not expression.strip():
        return None
    return "".join(out)


def _compiled(expression: str) -> Callable[[etree._Element, etree._Element], object]:
    """A citeStructure XPath compiled once, TEI as the default element namespace:
    called with (root, context node)."""
    evaluator = _evaluators.get(expression)
    if evaluator is None:
        plain = _as_lxml_path(expression)
        if plain is not None:
            compiled = etree.XPath(plain, namespaces={"tei": TEI_NS})
            evaluator = lambda root, item: compiled(item)  # noqa: E731
        else:
            import elementpath

            parser = elementpath.XPath2Parser(namespaces={"": TEI_NS, "tei": TEI_NS, "xml": NAMESPACES["xml"]})
            try:
                token = parser.parse(expression)
            except elementpath.ElementPathError as error:
                raise ValueError(str(error)) from None

            def evaluator(root: etree._Element, item: etree._Element) -> object:
                try:
                    return token.get_results(elementpath.XPathContext(root, item=item))
                except elementpath.ElementPathError as error:
                    raise ValueError(str(error)) from None
        _evaluators[expression] = evaluator
    return evaluator


def _levels(element: etree._Element) -> CiteLevel:
    return CiteLevel(
        match=element.get("match", ""), use=element.get("use", ""), delim=element.get("delim", ""),
        unit=element.get("unit", ""),
        children=tuple(_levels(child) for child in element.findall(tei("citeStructure"))))


def _string(value: object) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, etree._Element):
        return "".join(value.itertext())
    if hasattr(value, "value") and not isinstance(value, (str, int, float)):
        value = value.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class Citer:
    """All citable units of one document, in document order."""

    def __init__(self, document: ParsedFile) -> None:
        self.document = document
        self.units: list[CiteUnit] = []
        self.by_ref: dict[str, CiteUnit] = {}
        self._by_element: dict[etree._Element, CiteUnit] = {}
        self.problems: list[Diagnostic] = []
        structures = document.root.findall(f"{tei('teiHeader')}//{tei('refsDecl')}/{tei('citeStructure')}")
        self.source = "citeStructure" if structures else "fallback"
        if structures:
            for structure in structures:
                try:
                    self._walk(_levels(structure), document.root, None, "")
                except (etree.XPathError, TypeError, ValueError, LookupError) as error:
                    self.problems.append(document.located(
                        structure, "E0404", f"citeStructure cannot be evaluated: {error}; "
                        "fix its @match or @use (XPath, TEI as default namespace)"))
        if not self.units:
            self.source = "fallback"
            self._fallback()

    # -- building ---------------------------------------------------------
    def _add(self, ref: str, element: etree._Element, unit: str, parent: CiteUnit | None) -> CiteUnit:
        cite = CiteUnit(ref, element, unit, parent)
        if ref in self.by_ref:
            # keep the first; a duplicate reference is the document's problem, reported once
            given = "citeStructure gives" if self.source == "citeStructure" else (
                "the references made without a citeStructure give")
            self.problems.append(self.document.located(element, "E0404", f"{given} the reference '{ref}' twice"))
            return cite
        self.units.append(cite)
        self.by_ref[ref] = cite
        self._by_element[element] = cite
        if parent is not None:
            parent.children.append(cite)
        return cite

    def _walk(self, level: CiteLevel, context: etree._Element, parent: CiteUnit | None, prefix: str) -> None:
        root = self.document.root
        selected = _compiled(level.match)(root, context)
        matches = [node for node in (selected if isinstance(selected, list) else [selected])
                   if isinstance(node, etree._Element)]
        for position, element in enumerate(matches, start=1):
            if level.use.strip() == "position()":
                value = str(position)
            else:
                result = _compiled(level.use)(root, element)
                value = _string(result)
            ref = f"{prefix}{level.delim}{value}"
            cite = self._add(ref, element, level.unit or local_name(element), parent)
            for child in level.children:
                self._walk(child, element, cite, ref)

    def _fallback(self) -> None:
        divisions = fallback_divisions(self.document.root)
        for division, ref in divisions.items():
            unit = self._add(ref, division, "document" if division.get("type") == "document" else "division", None)
            for position, paragraph in enumerate(numbered_paragraphs(division, divisions), start=1):
                self._add(f"{ref}.p{position}", paragraph, "paragraph", unit)
        body = self.document.root.find(f"{tei('text')}/{tei('body')}")
        if body is not None:
            for position, paragraph in enumerate(numbered_paragraphs(body, divisions), start=1):
                self._add(f"p{position}", paragraph, "paragraph", None)

    def release(self) -> None:
        """Break the units' cycles (a unit lists its children, which point back to it), for
        :meth:`edition.document.Document.release`."""
        for unit in self.units:
            unit.children = []

    # -- lookup -------------------------------------------------------------
    def top_units(self) -> list[etree._Element]:
        return [u.element for u in self.units if u.parent is None]

    def ref_of(self, node: etree._Element) -> str:
        current: etree._Element | None = node
        while current is not None:
            cite = self._by_element.get(current)
            if cite is not None:
                return cite.ref
            current = current.getparent()
        return ""

    def unit_of(self, node: etree._Element) -> CiteUnit | None:
        current: etree._Element | None = node
        while current is not None:
            cite = self._by_element.get(current)
            if cite is not None:
                return cite
            current = current.getparent()
        return None

    def element(self, ref: str) -> etree._Element | None:
        cite = self.by_ref.get(ref)
        return cite.element if cite else None

    def nearest(self, ref: str, count: int = 3) -> list[str]:
        """Valid references that look most like ``ref`` (for error messages).

        Compared on their first :data:`NEAREST_CHARS` characters, and within a bounded
        amount of work (:data:`NEAREST_WORK`): difflib's ratio is quadratic in the length
        (a 3,000-character near miss against 2,000 long ids took 41 s), and a file can hold
        50,000 references.  A reference that differs only further on is named by its start."""
        import difflib  # only for an error message: not paid by every import

        by_start: dict[str, str] = {}
        for candidate in self.by_ref:
            by_start.setdefault(candidate[:NEAREST_CHARS], candidate)
        wanted = ref[:NEAREST_CHARS]
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(wanted)
        scored: list[tuple[float, str]] = []
        work = 0
        for start in by_start:  # document order; the comparisons are bounded in all (deterministic)
            matcher.set_seq1(start)
            if matcher.real_quick_ratio() >= 0.5 and matcher.quick_ratio() >= 0.5:
                work += len(start) * len(wanted) + 1
                if work > NEAREST_WORK:
                    break
                score = matcher.ratio()
                if score >= 0.5:
                    scored.append((score, start))
        return [by_start[start] for _, start in heapq.nlargest(count, scored)]


def fallback_divisions(root: etree._Element) -> dict[etree._Element, str]:
    """The divisions a document without a citeStructure is cited by, in document order, with
    their references: the documents of a volume, else the body's divisions; a division is named
    by its xml:id, else ``div`` and its @n when no other division has that @n, else ``div`` and
    its position (a name an xml:id or an earlier division already has gets ``-`` and its position)."""
    # the divisions inside a text, spelt so that libxml2 walks the tree once ("//tei:text//tei:div"
    # steps through every node below each text: 4 ms against 1 on the FRUS volume)
    divisions = root.xpath("/descendant::tei:div[@type='document'][ancestor::tei:text]", namespaces=NAMESPACES)
    if not divisions:
        divisions = root.xpath("/descendant::tei:text/tei:body/tei:div", namespaces=NAMESPACES)
    # @n repeats where parts restart their numbering (Kant's Critique: a div n="1" in each part):
    # a reference must name one division, or the second is not citable
    repeated = Counter(d.get("n") for d in divisions if d.get("n") and not d.get(XML_ID))
    names: dict[etree._Element, str] = {}
    taken = {ident for ident in (d.get(XML_ID) for d in divisions) if ident}
    for position, division in enumerate(divisions, start=1):
        name = division.get(XML_ID)
        if not name:
            number = division.get("n")
            name = f"div{number}" if number and repeated[number] == 1 else f"div{position}"
            while name in taken:  # an xml:id, or a name given before, of the same shape
                name = f"{name}-{position}"
            taken.add(name)
        names[division] = name
    return names


def numbered_paragraphs(container: etree._Element, divisions: Container[etree._Element]) -> Iterator[etree._Element]:
    """The paragraphs a division (or the body) numbers, in order: those not inside another
    division or a note."""
    for paragraph in container.iter(_P):
        owner = paragraph.getparent()
        while owner is not None and owner is not container:
            if owner in divisions or owner.tag == _NOTE:
                break
            owner = owner.getparent()
        else:
            yield paragraph


# A paragraph reference of the fallback (``d3.p2``, ``p7``): a division's xml:id of this shape
# could clash with one, which :class:`FallbackRefs` leaves to the full :class:`Citer`.
_PARAGRAPH_REF = re.compile(r"(?:.*\.)?p\d+", re.DOTALL)


class FallbackRefs:
    """:meth:`Citer.ref_of` for a document without a citeStructure, found for the nodes asked
    about instead of for every unit: a query with a few hits in a volume need not number its
    thousands of paragraphs (0.03 s).  :attr:`usable` is False where this cannot be sure of
    giving the Citer's answer (a citeStructure; division references that repeat or look like a
    paragraph's); the Citer is then asked."""

    def __init__(self, root: etree._Element) -> None:
        self.usable = False
        self._numbered: dict[etree._Element, dict[etree._Element, int]] = {}
        self._divisions: dict[etree._Element, str] = {}
        if root.find(f"{tei('teiHeader')}//{tei('refsDecl')}/{tei('citeStructure')}") is not None:
            return
        divisions = fallback_divisions(root)
        refs = set(divisions.values())
        if len(refs) < len(divisions) or any(_PARAGRAPH_REF.fullmatch(ref) for ref in refs):
            return
        self._divisions = divisions
        self._body = root.find(f"{tei('text')}/{tei('body')}")
        self.usable = True

    def ref_of(self, node: etree._Element) -> str:
        current: etree._Element | None = node
        while current is not None:
            ref = self._divisions.get(current)
            if ref is not None:
                return ref
            if current.tag == _P:
                container = self._container(current)
                if container is not None:
                    numbered = self._numbered.get(container)
                    if numbered is None:
                        numbered = self._numbered[container] = {
                            paragraph: position for position, paragraph
                            in enumerate(numbered_paragraphs(container, self._divisions), start=1)}
                    prefix = f"{self._divisions[container]}." if container is not self._body else ""
                    return f"{prefix}p{numbered[current]}"
            current = current.getparent()
        return ""

    def _container(self, paragraph: etree._Element) -> etree._Element | None:
        """The division or body that numbers the paragraph (None: a note's, or nobody's)."""
        owner = paragraph.getparent()
        while owner is not None:
            if owner in self._divisions or owner is self._body:
                return owner
            if owner.tag == _NOTE:
                return None
            owner = owner.getparent()
        return None


_P = tei("p")
_NOTE = tei("note")
