"""The rules on ids and pointers: ids are unique, local pointers reach an element, a pointer into
a file beside this one reaches one of its ids, and a name points to an entry of its kind."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from ..diagnostics import Diagnostic, EditionParseError
from ..document import Document, load, local_name, tei
from .facts import Facts, Pointer, classify, facts_of, line_of

# ---------------------------------------------------------------------------
# E0201 duplicate ids
# ---------------------------------------------------------------------------

def check_unique_ids(document: Document) -> Iterator[Diagnostic]:
    """Every xml:id is used once in a file."""
    facts = facts_of(document)
    for value, element in facts.duplicate_ids:
        first = facts.ids[value]
        yield document.diagnostic(
            element, "E0201", f"xml:id '{value}' is already used on <{local_name(first)}> at line "
            f"{line_of(document, first)}; rename one of them (ids must be unique in a file)")


# ---------------------------------------------------------------------------
# E0202, W0210 pointers; E0203 kinds of entries
# ---------------------------------------------------------------------------

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
                f"{kind}, but reaches <{local_name(entry)}> at line {line_of(document, entry)}; point it "
                f"to a {_ENTRY_HINT[kind]}")


