"""Do the words of a TEI text appear, in order, in an output?  (A test helper.)

Every writer must keep every word of the text (notes included): a dropped
paragraph or a glued pair of words is a bug no eye catches in 63 files.
:func:`tei_words` lists the words of a TEI element as a reader of any output
should meet them, :func:`output_words` the words of an output's visible text,
and :func:`first_mismatch` says where the first TEI word goes missing.

What "the words of the TEI text" means here:

* the teiHeader, standOff, facsimile and forme work (fw) are not text;
* a ``choice`` counts as its reading branch (corr, reg, expan), or its
  diplomatic branch (sic, orig, abbr) when asked;
* notes are read after the text of their note scope (by default the
  ``div[@type='document']`` that holds them, else the whole element), in the
  order of their calls, a note inside a note after the note that holds it:
  that is where endnotes and footnotes of a page put them;
* a word is a run of letters or a run of digits, compared case-insensitively
  (so ``Herter0`` and ``Herter[0]`` are the same two words, and punctuation,
  bullets and markers do not matter); block-level elements, ``pb`` and
  ``lb`` (without ``break="no"``) separate words, phrase-level elements do not.

The output may hold words the TEI has not (``[Page 594]``, note numbers,
a "Notes" heading, link addresses): :func:`first_mismatch` skips at most
``max_skip`` extra output words before each TEI word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from lxml import etree

TEI_NS = "http://www.tei-c.org/ns/1.0"

WORD = re.compile(r"[^\W\d_]+|\d+")

#: Not text: never rendered as the text of a document.
SKIPPED = frozenset({"teiHeader", "standOff", "facsimile", "fw"})

#: Phrase-level elements: their boundaries are not word boundaries.
PHRASES = frozenset([
    "hi", "emph", "title", "foreign", "mentioned", "soCalled", "term", "gloss", "persName", "placeName",
    "geogName", "orgName", "name", "rs", "roleName", "forename", "surname", "addName", "genName",
    "nameLink", "date", "time", "num", "measure", "idno", "ref", "ptr", "choice", "sic", "corr", "orig",
    "reg", "abbr", "expan", "add", "del", "unclear", "supplied", "damage", "seg", "q", "quote", "said",
    "cit", "bibl", "biblScope", "author", "editor", "publisher", "pubPlace", "affiliation", "code",
    "anchor", "w", "c", "pc", "docAuthor", "docDate"
])

READING = ("corr", "reg", "expan")
DIPLOMATIC = ("sic", "orig", "abbr")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def words(text: str) -> list[str]:
    """The words of a string: runs of letters or of digits, case-folded."""
    return WORD.findall(text.casefold())


def output_words(text: str) -> list[str]:
    """The words of an output's visible text (plain text, or the text of an HTML page)."""
    return words(text)


def _is_scope(element: etree._Element) -> bool:
    return _local(element) == "div" and element.get("type") == "document"


def tei_words(element: etree._Element, *, diplomatic: bool = False,
              note_scope=_is_scope) -> list[str]:
    """The words of a TEI element in reading order, notes after their scope."""
    pieces: list[str] = []
    branches = DIPLOMATIC if diplomatic else READING

    def walk(node: etree._Element, deferred: list[etree._Element]) -> None:
        name = _local(node)
        if not name or name in SKIPPED:
            return
        if name == "note":
            deferred.append(node)
            return
        if name == "choice":
            children = [c for c in node if isinstance(c.tag, str)]
            chosen = next((c for b in branches for c in children if _local(c) == b),
                          children[0] if children else None)
            if chosen is not None:
                walk(chosen, deferred)
            return
        boundary = name not in PHRASES and not (name in ("lb", "pb", "cb") and node.get("break") == "no")
        if boundary:
            pieces.append(" ")
        own = [] if note_scope(node) else deferred
        if node.text:
            pieces.append(node.text)
        for child in node:
            walk(child, own)
            if child.tail:
                pieces.append(child.tail)
        if own is not deferred:
            flush(own)
        if boundary:
            pieces.append(" ")

    def flush(notes: list[etree._Element]) -> None:
        index = 0
        while index < len(notes):  # notes inside notes are appended as they are met
            note = notes[index]
            pieces.append(" ")
            if note.text:
                pieces.append(note.text)
            for child in note:
                walk(child, notes)
                if child.tail:
                    pieces.append(child.tail)
            pieces.append(" ")
            index += 1

    top: list[etree._Element] = []
    if _local(element) == "note":
        flush([element])
    else:
        walk(element, top)
        flush(top)
    return words("".join(pieces))


def first_mismatch(tei: Sequence[str], output: Sequence[str], *, max_skip: int = 40,
                   context: int = 8) -> str | None:
    """None when ``tei`` appears in order in ``output``; else where it first does not.

    Each TEI word must be found within the next ``max_skip + 1`` output words
    (the output may add markers and numbers, not whole passages).
    """
    position = 0
    for index, word in enumerate(tei):
        window = output[position:position + max_skip + 1]
        try:
            position += window.index(word) + 1
        except ValueError:
            before = " ".join(tei[max(0, index - context):index])
            after = " ".join(tei[index + 1:index + 1 + context])
            seen = " ".join(output[max(0, position - context):position])
            ahead = " ".join(output[position:position + context])
            return (f"TEI word {index + 1} of {len(tei)} {word!r} is not among the next {max_skip + 1} "
                    f"output words (output word {position + 1} of {len(output)})\n"
                    f"  TEI:    … {before} [{word}] {after} …\n"
                    f"  output: … {seen} | {ahead} …")
    return None


def assert_in_order(tei: Sequence[str], output: Sequence[str], label: str = "", **options: int) -> None:
    """Assert with :func:`first_mismatch`'s report as the message."""
    problem = first_mismatch(tei, output, **options)
    assert problem is None, f"{label}: {problem}" if label else problem


def words_of(texts: Iterable[str]) -> list[str]:
    """The words of several outputs, in order (units of one file)."""
    found: list[str] = []
    for text in texts:
        found += words(text)
    return found


def found_in_order(tei: Sequence[str], output: Sequence[str], *, max_skip: int = 40) -> tuple[int, list[int]]:
    """How many TEI words appear in order in ``output``, and the positions of those that do not.

    Like :func:`first_mismatch`, each TEI word is looked for within the next ``max_skip + 1``
    output words; a word not found there is counted missing and the search goes on from the
    same place, so one lost word costs one word, while a lost or displaced passage costs all of
    its words (the words must appear in context, not merely somewhere).
    """
    position = found = 0
    missing: list[int] = []
    for index, word in enumerate(tei):
        window = output[position:position + max_skip + 1]
        try:
            position += window.index(word) + 1
            found += 1
        except ValueError:
            missing.append(index)
    return found, missing


#: Block-level HTML: its edges separate words on screen, so they do in the extracted text.
HTML_BLOCKS = frozenset({"p", "div", "li", "dd", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr",
                         "caption", "blockquote", "figure", "section", "article", "aside", "ol", "ul", "dl",
                         "table", "br"})


def html_words(page: bytes, *, blocks: frozenset[str] = HTML_BLOCKS) -> list[str]:
    """The words of a web page's text and notes as a reader sees them (the reading text).

    Scripts, styles, hidden elements, the other reading of a ``choice``, note calls (which the
    eye keeps apart as superscripts) and page markers are not words of the text; block edges
    separate words.
    """
    import lxml.html

    tree = lxml.html.document_fromstring(page)
    # page markers too: "übri[Page 5]ge" is one word of the text with a marker in it
    for element in tree.xpath("//span[@class='diplomatic'] | //script | //style | //*[@hidden]"
                              " | //*[contains(concat(' ', @class, ' '), ' note-call ')] | //span[@class='pb']"):
        element.drop_tree()
    for element in tree.iter():
        if isinstance(element.tag, str) and (element.tag in blocks
                                             or "block" in (element.get("class") or "").split()):
            element.tail = " " + (element.tail or "")
            element.text = " " + (element.text or "")
    parts = tree.xpath("//main//div[@class='text' or starts-with(@class, 'text ')] | //section[@class='notes']")
    if not parts:  # a page without the edition's frame (a passage): all of its main content
        parts = tree.xpath("//main") or [tree]
    return words(" ".join(part.text_content() for part in parts))
