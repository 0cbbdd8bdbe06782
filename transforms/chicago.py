"""Chicago Manual of Style (17th edition) notes and bibliography entries.

A small formatter for exactly the CSL-JSON items :func:`edition.transforms.citations.metadata`
makes: ``chapter`` (a document printed in a volume, or in our edition of it) and
``manuscript`` (a standalone archival document).  It writes what the official CSL style
(``transforms/csl/``, run through citeproc-py in the tests as the oracle) writes for
them, in plain string operations (a few microseconds where citeproc-py took ~5 ms a
note), and corrects what that style, or citeproc-py, gets wrong for a documentary
edition:

- the document's own date (CSL ``original-date``) follows its title, as Chicago dates a
  letter or memorandum in a published collection, where CSL prints it as a reprint's
  first date inside the imprint ("(1959; Washington: …, 1996)");
- a document without an author begins with its title; the volume's editor is named
  once, after the volume title ("ed."), never in the author's place as well;
- titles are printed as the header gives them (no automatic headline-casing, which
  turned "Couve de Murville" into "Couve De Murville"), quotation marks inside a quoted
  title become single ones, and a comma or period after a closing quotation mark goes
  inside it (CMOS 6.9), but not after a title's own "?" or "!";
- page ranges are abbreviated by the 17th edition's rules (CMOS 9.61): 593–94, 101–8,
  1496–500;
- ``markup="html"`` escapes the header's text (``&``, ``<``) and italicises only the
  volume title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = ["note", "bibliography", "page_range", "date_text"]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

#: Short locator terms of the en-US CSL locale (singular, plural); ``page`` has none in
#: Chicago notes ("594", not "p. 594").
_LOCATOR_TERMS: dict[str, tuple[str, str]] = {
    "act": ("act", "acts"), "appendix": ("app.", "apps."), "article-locator": ("art.", "arts."),
    "book": ("bk.", "bks."), "canon": ("can.", "cann."), "chapter": ("chap.", "chaps."),
    "column": ("col.", "cols."), "elocation": ("loc.", "locs."), "equation": ("eq.", "eqq."),
    "figure": ("fig.", "figs."), "folio": ("fol.", "fols."), "issue": ("no.", "nos."),
    "line": ("l.", "ll."), "note": ("n.", "nn."), "opus": ("op.", "opp."), "page": ("", ""),
    "paragraph": ("para.", "paras."), "part": ("pt.", "pts."), "rule": ("r.", "rr."),
    "scene": ("sc.", "scs."), "section": ("sec.", "secs."), "sub-verbo": ("s.v.", "s.vv."),
    "supplement": ("supp.", "supps."), "table": ("tbl.", "tbls."), "timestamp": ("at", "at"),
    "title-locator": ("tit.", "titt."), "verse": ("v.", "vv."), "version": ("v.", "v."),
    "volume": ("vol.", "vols."),
}
_LINE_LONG = ("line", "lines")

#: CSL "is-numeric": numbers with optional letter affixes, joined by range or list separators.
_NUMERIC = re.compile(r"[A-Za-z]*\d+[A-Za-z]*(?:\s*[-–&,]\s*[A-Za-z]*\d+[A-Za-z]*)*")
#: More than one number (a range or a list): the plural label.  A period joins the parts
#: of one dotted number, so "ch1.p2" is one section and "ch1.p2–p3" two.
_MULTIPLE = re.compile(r"\d+[^\d.]+\d+")

#: Note and bibliography name lists shorten to "et al." as the style's <citation> and
#: <bibliography> say: four or more names in a note give the first; eleven or more in a
#: bibliography give the first seven.
_NOTE_ET_AL = (4, 1)
_BIBLIOGRAPHY_ET_AL = (11, 7)

Item = Mapping[str, Any]


# -- the two public forms ----------------------------------------------------------

def note(item: Item, locator: str | None = None, label: str | None = None,
         markup: str = "text") -> str:
    """The full note of ``item``, citing ``locator`` (a ``label`` such as "paragraph")
    instead of the item's pages when given."""
    form = _Form(item, markup, et_al=_NOTE_ET_AL)
    cited = _locator(locator, label) if locator else form.pages()
    if form.in_collection:
        # a note is a sentence: a name's particle opens it capitalised ("De la Mare, …", CMOS 8.5)
        head = _join([_capitalised(form.names("author")), form.title(), form.document_date(), form.container("in"),
                      form.number("no."), form.editors("ed.")], ", ")
        imprint = f"({form.imprint()})"
        head = f"{head} {imprint}" if head else imprint
        return _end(_join([head, form.esc(cited), form.url()], ", "))
    parts = [_capitalised(form.names("author")), form.title(), form.document_date(), form.description(),
             form.number("no."), form.editors("ed."), form.publisher(), form.issued_full(),
             form.esc(cited) if locator else "", form.url()]
    text = _end(_join(parts, ", "))
    # without author or title a note opens with its description ("Unpublished manuscript")
    return text if parts[0] or parts[1] else _capitalised(text)


def bibliography(item: Item, markup: str = "text") -> str:
    """The bibliography entry of ``item`` (the whole document: no locator)."""
    form = _Form(item, markup, et_al=_BIBLIOGRAPHY_ET_AL)
    if form.in_collection:
        container = form.container("In")
        editors = form.editors("edited by")
        source = _join([container, form.number("No."),
                        editors if container or form.number("No.") else _capitalised(editors),
                        form.esc(form.pages())], ", ")
        sentences = [_capitalised(form.names("author", inverted=True)), form.title(), form.document_date(),
                     source, form.imprint(), form.url()]
        return _end(_join(sentences, ". "))
    sentences = [_capitalised(form.names("author", inverted=True)), form.title(), form.document_date(),
                 _capitalised(form.number("No.")),
                 _capitalised(form.editors("edited by")),
                 _capitalised(_join([form.description(), form.publisher(), form.issued_full()], ", ")),
                 form.url()]
    return _end(_join(sentences, ". "))


# -- the parts ---------------------------------------------------------------------

class _Form:
    """The printable parts of one item, escaped for ``markup``; a missing field gives ""."""

    def __init__(self, item: Item, markup: str, et_al: tuple[int, int]) -> None:
        self.item = item
        self.html = markup == "html"
        self.et_al = et_al
        self.in_collection = bool(item.get("container-title")) or item.get("type") == "chapter"

    def esc(self, text: str) -> str:
        return escape(text, quote=False) if self.html and text else text

    def _text(self, key: str) -> str:
        value = self.item.get(key)
        return " ".join(str(value).split()) if value not in (None, "") else ""

    def names(self, key: str, inverted: bool = False) -> str:
        names = [n for n in self.item.get(key) or [] if isinstance(n, Mapping)]
        return self.esc(name_list(names, inverted, self.et_al))

    def title(self) -> str:
        title = self._text("title")
        # a quotation inside a quoted title takes single marks
        title = title.replace("“", "‘").replace("”", "’")
        return f"“{self.esc(title)}”" if title else ""

    def document_date(self) -> str:
        return self.esc(date_text(self.item.get("original-date")) or "")

    def container(self, preposition: str) -> str:
        container = self._text("container-title")
        if not container:
            return ""
        shown = f"<i>{self.esc(container)}</i>" if self.html else container
        return f"{preposition} {shown}"

    def number(self, label: str) -> str:
        number = self._text("number")
        if not number:
            return ""
        return self.esc(f"{label} {number}" if _NUMERIC.fullmatch(number) else number)

    def editors(self, verb: str) -> str:
        # "ed." is "edited by": one form for one editor or several
        names = self.names("editor")
        return f"{verb} {names}" if names else ""

    def publisher(self) -> str:
        return self.esc(": ".join(p for p in (self._text("publisher-place"), self._text("publisher")) if p))

    def imprint(self) -> str:
        """``Washington: United States Government Printing Office, 1996`` (n.d. without a year)."""
        year = _year(self.item.get("issued")) or "n.d."
        return _join([self.publisher(), self.esc(year)], ", ")

    def issued_full(self) -> str:
        return self.esc(date_text(self.item.get("issued")) or "n.d.")

    def pages(self) -> str:
        return page_range(self._text("page")) if self._text("page") else ""

    def description(self) -> str:
        """What a manuscript is, when nothing else tells a reader where to find it: "unpublished
        manuscript" (the style's description-format macros)."""
        if self.item.get("type") != "manuscript":
            return ""
        if self._text("genre"):
            return self.esc(self._text("genre"))
        findable = any(self.item.get(key) for key in ("container-title", "number", "publisher", "URL"))
        return "" if findable else "unpublished manuscript"

    def url(self) -> str:
        return self.esc(self._text("URL"))


def name_list(names: Sequence[Mapping[str, Any]], inverted: bool, et_al: tuple[int, int]) -> str:
    """``A``, ``A and B``, ``A, B, and C``; the bibliography inverts the first name and keeps
    the serial comma even between two ("Parsons, J. Graham, and Walmsley")."""
    minimum, first = et_al
    shortened = len(names) >= minimum
    shown = [_name(n, inverted and index == 0) for index, n in enumerate(names[:first] if shortened else names)]
    shown = [n for n in shown if n]
    if not shown:
        return ""
    if shortened:
        return (", ".join(shown) + ", et al.") if len(shown) > 1 else f"{shown[0]} et al."
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2 and not inverted:
        return f"{shown[0]} and {shown[1]}"
    return ", ".join(shown[:-1]) + ", and " + shown[-1]


def _name(name: Mapping[str, Any], inverted: bool) -> str:
    if name.get("literal"):
        return " ".join(str(name["literal"]).split())
    family, given, suffix = (str(name.get(key) or "") for key in ("family", "given", "suffix"))
    dropping, particle = (str(name.get(key) or "") for key in ("dropping-particle", "non-dropping-particle"))
    if inverted:
        # "Cumming, Hugh S., Jr."; "Gaulle, Charles de", as the style demotes particles
        rest = " ".join(p for p in (given, dropping, particle) if p)
        return ", ".join(p for p in (family, rest, suffix) if p)
    # Chicago sets "Jr." without a comma in running order
    return " ".join(p for p in (given, dropping, particle, family, suffix) if p)


def _locator(locator: str, label: str | None) -> str:
    """``para. 4``, ``paras. 1–2``, ``sec. 3``; pages carry no label (the style's
    label-locator macro)."""
    label = label or "section"
    numeric = bool(_NUMERIC.fullmatch(locator))
    plural = bool(_MULTIPLE.search(locator))
    if label == "page":
        return page_range(locator)
    if label == "line" and numeric:
        term = _LINE_LONG[plural]
    elif not numeric and label in ("chapter", "line", "verse"):
        # a canonical reference identifies itself (the style's label-locator macro)
        term = ""
    else:
        term = _LOCATOR_TERMS.get(label, _LOCATOR_TERMS["section"])[plural]
    return f"{term} {locator}" if term else locator


# -- dates and pages -----------------------------------------------------------------

def date_text(date: Any) -> str | None:
    """``September 24, 1959``, ``September 1959``, ``1959``; a range joined by an en dash;
    an ISO date and time ``October 21, 1958, 4 p.m.``; any other literal date as given."""
    if not isinstance(date, Mapping):
        return None
    parts = date.get("date-parts")
    if parts and isinstance(parts, list) and parts[0]:
        shown = [_date_part(p) for p in parts[:2] if isinstance(p, list) and p]
        shown = [s for s in shown if s]
        if shown:
            return "–".join(dict.fromkeys(shown))
    literal = date.get("literal") or date.get("raw")
    if not literal:
        return None
    moment = _DATETIME.fullmatch(str(literal).strip())
    if moment:
        year, month, day, hour, minute = (int(p) for p in moment.groups())
        printed, clock = _date_part([year, month, day]), _clock(hour, minute)
        if clock and printed.count(",") == 1:
            return f"{printed}, {clock}"
    return " ".join(str(literal).split())


#: An ISO date and time (a FRUS dateline's ``@when="1958-10-21T16:00:00"``), any zone ignored.
_DATETIME = re.compile(r"(-?\d{1,4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def _clock(hour: int, minute: int) -> str:
    """``4 p.m.``, ``4:30 p.m.``, ``noon``, ``midnight``, as FRUS datelines (and Chicago)
    write a time of day."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59 or hour == 24 and minute == 0):
        return ""
    if minute == 0 and hour in (0, 24):
        return "midnight"
    if minute == 0 and hour == 12:
        return "noon"
    suffix = "a.m." if hour % 24 < 12 else "p.m."
    twelve = hour % 12 or 12
    return f"{twelve} {suffix}" if minute == 0 else f"{twelve}:{minute:02d} {suffix}"


def _date_part(part: list[Any]) -> str:
    try:
        numbers = [int(p) for p in part[:3]]
    except (TypeError, ValueError):
        return ""
    year = f"{-numbers[0]} BC" if numbers[0] < 0 else str(numbers[0])
    if len(numbers) > 1 and 1 <= numbers[1] <= 12:
        month = _MONTHS[numbers[1] - 1]
        if len(numbers) > 2 and 1 <= numbers[2] <= 31:
            return f"{month} {numbers[2]}, {year}"
        return f"{month} {year}"
    return year


def _year(date: Any) -> str | None:
    if not isinstance(date, Mapping):
        return None
    parts = date.get("date-parts")
    if parts and isinstance(parts, list) and parts[0]:
        shown = _date_part(parts[0][:1])
        if shown:
            return shown
    literal = date.get("literal") or date.get("raw")
    return " ".join(str(literal).split()) if literal else None


_RANGE = re.compile(r"\s*([A-Za-z]*)(\d+)\s*[-–]+\s*([A-Za-z]*)(\d+)\s*")


def page_range(pages: str) -> str:
    """Pages as Chicago prints them (CMOS 9.61, the 17th edition's rules): all digits below
    100 or from a multiple of 100 (71–72, 100–104), the changed part from 101–109 of a
    hundred (101–8, 1103–4), at least two digits otherwise (321–28, 1496–500); ranges
    that are not two numbers keep their text, with an en dash."""
    shown = []
    for piece in str(pages).split(","):
        match = _RANGE.fullmatch(piece)
        if match is None:
            shown.append(piece.strip().replace("-", "–"))
            continue
        prefix, first, last_prefix, last = match.groups()
        if last_prefix and last_prefix != prefix:
            shown.append(f"{prefix}{first}–{last_prefix}{last}")
            continue
        shown.append(f"{prefix}{first}–{_last_page(first, last)}")
    return ", ".join(p for p in shown if p)


def _last_page(first: str, last: str) -> str:
    if len(last) < len(first):
        # "593-94" given already abbreviated: complete it before abbreviating again
        last = first[:len(first) - len(last)] + last
    start, end = int(first), int(last)
    if end <= start or len(last) != len(first) or start < 100 or start % 100 == 0:
        return last
    common = next((index for index, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    if start % 100 < 10:
        return last[common:]
    return last[min(common, len(first) - 2):]


# -- punctuation ---------------------------------------------------------------------

def _attach(text: str, mark: str) -> str:
    """``text`` followed by a comma or period, Chicago's way: inside a closing quotation
    mark (“Title,”), and not at all after a "?" or "!" or a second period."""
    closing = text.endswith("”")
    body = text[:-1] if closing else text
    if body.endswith(("?", "!")) or (mark == "." and body.endswith(".")):
        return text
    return body + mark + ("”" if closing else "")


def _join(parts: Sequence[str], delimiter: str) -> str:
    text = ""
    for part in parts:
        if part:
            text = part if not text else _attach(text, delimiter[0]) + delimiter[1:] + part
    return text


def _end(text: str) -> str:
    return _attach(text, ".") if text else ""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].islower() else text
