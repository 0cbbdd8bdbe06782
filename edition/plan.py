"""The build's plan: files → units → page names, before anything is rendered.

A file holding many ``div[@type='document']`` (a FRUS volume) is built as a volume: a
folder with one page per document (and its front and back matter), previous/next links
and a table of contents.  Any other file is one page for its whole text, named after the
file, or after its one document's canonical reference when it declares them.  Names come
from the TEI only through :func:`edition.paths.safe_name`, and never take one of the
edition's own pages (:data:`RESERVED`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from .diagnostics import Diagnostic
from .document import DIVISIONS, XML_ID, Document, tei
from .paths import safe_name
from .series import volume_entry

# A volume's body holds documents, chapter divisions with heads, and page
# breaks; a file with paragraphs between its documents is one text and is
# rendered whole, so that nothing outside the documents is lost.
_TEXT_TAGS = frozenset(tei(n) for n in ("p", "ab", "list", "table", "quote", "note", "lg"))


def _text_outside_documents(root: etree._Element) -> bool:
    """Whether a body holds text (p, ab, list, table, quote, note, lg) outside its document
    divisions and heads.  A walk that does not enter the documents: an XPath with
    ancestor tests visits the whole volume (a tenth of its planning)."""
    head, div = tei("head"), tei("div")
    for text in root.iter(tei("text")):
        if any(a.tag == head or (a.tag == div and a.get("type") == "document") for a in text.iterancestors()):
            continue
        for body in text.iterchildren(tei("body")):
            stack = list(body)
            while stack:
                element = stack.pop()
                tag = element.tag
                if not isinstance(tag, str) or tag == head or (tag == div and element.get("type") == "document"):
                    continue
                if tag in _TEXT_TAGS:
                    return True
                stack.extend(element)
    return False


def document_units(document: Document) -> tuple[list[etree._Element], bool]:
    """The units to render and whether the file is a volume (several document divisions)."""
    found = document.cache.get("build.units")
    if found is None:
        found = document.cache["build.units"] = _find_units(document)
    return found


def _find_units(document: Document) -> tuple[list[etree._Element], bool]:
    if document.root.tag == tei("teiCorpus"):
        # a corpus is built as a volume: a page for the text of each TEI member
        members = [text for member in document.root.iter(tei("TEI")) for text in member.iterchildren(tei("text"))]
        if len(members) > 1:
            return members, True
    documents = [element for element in document.units()
                 if element.tag in DIVISIONS and element.get("type") == "document"]
    if len(documents) > 1 and not _text_outside_documents(document.root):
        # the volume's front and back matter (preface, lists of persons and
        # abbreviations, index) are pages of their own, before and after the documents
        text = document.root.find(tei("text"))
        front = [d for d in text.iterfind(f"{tei('front')}/*") if d.tag in DIVISIONS] if text is not None else []
        back = [d for d in text.iterfind(f"{tei('back')}/*") if d.tag in DIVISIONS] if text is not None else []
        return front + documents + back, True
    text = document.root.find(tei("text"))
    return [text if text is not None else document.root], False


#: Names of the edition's own pages and folders at the top of a writer's folder (home and
#: index pages, search, assets, the whole edition's PDF): no input's page or volume folder
#: takes one (compared without case, for file systems that ignore it), nor a name of an
#: index's letter pages (``persons-b``); it gets ``-document`` and W0607.  What a writer's
#: ``finish()`` adds beyond these is caught when it is written (E0604), never overwritten.
RESERVED = frozenset({"index", "indexes", "search", "persons", "places", "organisations", "terms", "assets",
                      "pagefind", "edition", "series"})
_RESERVED_PREFIXES = ("persons-", "places-", "organisations-", "terms-")
#: The same inside a volume's folder: its table of contents and lists.
RESERVED_IN_VOLUME = frozenset({"index", "by-date", "page-list", "pages"})


def _unreserved(name: str) -> str:
    folded = name.casefold()
    return f"{name}-document" if folded in RESERVED or folded.startswith(_RESERVED_PREFIXES) else name


@dataclass
class FilePlan:
    shown: str
    path: str
    docid: str
    folder: str
    volume: tuple[str, str] | None
    names: list[str]
    titles: list[str]
    chapters: list[list[str]]
    #: The name this file's page or folder would have had, when it is a reserved one.
    renamed: str = ""
    #: A volume's entry in the series index (edition/series.py).
    series: dict[str, Any] | None = None


def rename_warnings(plan: FilePlan) -> list[Diagnostic]:
    if not plan.renamed:
        return []
    kind = "folder" if plan.folder else "page"
    given = plan.folder or plan.names[0]
    return [Diagnostic.make("W0607", f"this file's {kind} is named {given!r}, not {plan.renamed!r}, which "
                            f"is one of the edition's own pages ({', '.join(sorted(RESERVED))})", path=plan.shown,
                            line=1, column=1)]


def plan_file(document: Document, shown: str, path: Path, taken: set[str]) -> FilePlan:
    from edition.transforms.html import page_title, plain

    units, is_volume = document_units(document)
    stem = safe_name(path.stem)
    if is_volume:
        folder = _unreserved(stem)
        number = 1
        while folder in taken:
            number += 1
            folder = f"{stem}-{number}"
        taken.add(folder)
        names: list[str] = []
        used: set[str] = set()
        for position, unit in enumerate(units, start=1):
            member = document.member(unit)  # a corpus's member is named by its own TEI's xml:id
            name = safe_name(document.ref_of(unit) or unit.get(XML_ID)
                             or (member.root.get(XML_ID) if member is not document else None) or f"section-{position}")
            if name.casefold() in RESERVED_IN_VOLUME:  # the volume's table of contents is index.html
                name += "-section"
            while name in used:
                name += "-"
            used.add(name)
            names.append(name)
        chapters = []
        # a chapter's title is the same for each of its documents: read once per chapter
        titles: dict[etree._Element, str] = {}
        for unit in units:
            path_titles = []
            for ancestor in unit.iterancestors():
                if ancestor.tag in DIVISIONS:
                    title = titles.get(ancestor)
                    if title is None:
                        head = ancestor.find(tei("head"))
                        title = titles[ancestor] = plain(head) if head is not None else ""
                    if title:
                        path_titles.append(title)
            chapters.append(list(reversed(path_titles)))
        text = document.root.find(tei("text"))
        volume_title = page_title(document, text if text is not None else document.root)
        return FilePlan(shown, str(path), stem, folder, (folder, volume_title), names,
                         [page_title(document, unit) for unit in units], chapters,
                         renamed=stem if _unreserved(stem) != stem else "", series=volume_entry(document))
    # one page for the whole text, named after its file (name.xml: name.html, name.txt, name.pdf,
    # cite/name/); a file that declares its canonical references (citeStructure) is named by
    # its one document's reference instead, as a citation names it (the memo: d300)
    name = stem
    if document.citer.source == "citeStructure":
        divisions = [element for element in document.units() if element.tag in DIVISIONS]
        ref = document.ref_of(divisions[0]) if len(divisions) == 1 else ""
        name = safe_name(ref) if ref else stem
    wanted = name
    base = name = _unreserved(name)
    number = 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    taken.add(name)
    return FilePlan(shown, str(path), stem, "", None, [name], [page_title(document, units[0])], [[]],
                     renamed=wanted if base != wanted else "")
