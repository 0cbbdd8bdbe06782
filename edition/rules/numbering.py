"""The rules on numbering: notes and pages are numbered in sequence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from ..diagnostics import Diagnostic
from ..document import XML_ID, Document, tei
from .facts import facts_of, line_of

_TEXT, _DIV = tei("text"), tei("div")


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
    return f"document {name}" if name else f"the document at line {line_of(document, unit)}"


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
                    f"{line_of(document, previous)}) in {_label(document, unit)}; expected n=\"{before + 1}\"" +
                    (" (or 0 or 1 to restart in a new division)" if note in restarts else "") +
                    ": renumber the notes consecutively")
                break
            previous = note


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
                f"{line_of(document, seen[1])}); page numbers must ascend: correct @n"
                + (f" (edition '{page.get('ed')}')" if page.get("ed") else ""))
        last[key] = (number, page)


