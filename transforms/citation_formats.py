"""A citation in the forms reference managers read: CSL-JSON, BibTeX, RIS, Dublin Core XML,
Chicago note and bibliography entries (:mod:`edition.transforms.chicago`) and the Office of the
Historian's form; :func:`render` chooses by name from one registry."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from edition import resources
from edition.diagnostics import EditionUsageError

from . import chicago
from .citation_record import Citation, name_direct, name_inverted

#: Output formats of :func:`render`, in the order ``edition cite --format all`` prints them.
FORMATS: tuple[str, ...] = ("chicago-note", "chicago-bibliography", "ohist", "csl-json", "bibtex",
                            "ris", "dc")

CSL_DIR = resources.csl_dir()
#: The official CSL style (citation-style-language/styles, CC BY-SA 3.0, licence in its <info>)
#: that the tests run through citeproc-py as the oracle of :mod:`edition.transforms.chicago`.
#: The 17th-edition variant, because it keeps the place of publication and the page range
#: that the 18th edition's note form drops.
CHICAGO_STYLE = CSL_DIR / "chicago-notes-bibliography-17th-edition.csl"


def render(citation: Citation, fmt: str, markup: str = "text") -> str:
    """The citation in one of :data:`FORMATS`.  ``markup="html"`` gives the Chicago forms with <i>."""
    writer = _WRITERS.get(fmt)
    if writer is None:
        raise EditionUsageError.at("E0901", f"unknown citation format '{fmt}'; "
                                   f"choose one of {', '.join(FORMATS)}")
    if fmt.startswith("chicago"):
        return _chicago(citation, bibliography=fmt.endswith("bibliography"), markup=markup)
    return writer(citation)


def _chicago(citation: Citation, bibliography: bool, markup: str) -> str:
    """Chicago note or bibliography entry from :mod:`edition.transforms.chicago` (citeproc-py with the
    official style is the tests' oracle, no longer a run-time dependency)."""
    if bibliography:
        return chicago.bibliography(citation.item, markup=markup)
    return chicago.note(citation.item, citation.locator, citation.label, markup=markup)


def _csl_json(citation: Citation) -> str:
    item = dict(citation.item)
    if citation.passage_ref:
        # CSL-JSON has no place for a locator on an item; the note field carries it for humans.
        item["note"] = passage_note(citation)
    return json.dumps([item], ensure_ascii=False, indent=2) + "\n"


def _label(citation: Citation) -> str:
    label = citation.label or "section"
    return f"{label}s" if citation.locator and "–" in citation.locator else label


def passage_note(citation: Citation) -> str:
    text = f"{_label(citation)} {citation.locator}, {citation.passage_ref}"
    if citation.passage_pages:
        pages = citation.passage_pages
        text += f", {'pp.' if '-' in pages else 'p.'} {pages.replace('-', '–')}"
    return text


# Braces become commands with a balanced pair of their own: BibTeX counts every brace,
# escaped or not, so "\\}" would still end the field (and "Eve}, note = {x" add one).
_BIBTEX_SPECIAL = {"\\": "\\textbackslash{}", "{": "\\textbraceleft{}", "}": "\\textbraceright{}",
                   "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_", "~": "\\textasciitilde{}",
                   "^": "\\textasciicircum{}"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(value: str) -> str:
    """A field value on one line: a newline or other control character is a space."""
    return _CONTROL.sub(" ", value)


def _bibtex_escape(value: str) -> str:
    return re.sub(r"[\\{}&%$#_~^]", lambda match: _BIBTEX_SPECIAL[match.group(0)], _one_line(value))


def _bibtex_url(value: str) -> str:
    """A URL as BibTeX's url field takes it (verbatim): what could end the field or start a
    command is percent-encoded, the rest (%, #, _, &) stays as the address has it."""
    return re.sub(r"[\\{}\s]", lambda match: f"%{ord(match.group(0)):02X}", _one_line(value).strip())


def _bibtex_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + _bibtex_escape(name["literal"]) + "}"
    # " and " inside a name would split it into two authors
    parts = [re.sub(r"\s+and\s+", " {and} ", _bibtex_escape(name.get("family", "")))]
    if name.get("suffix"):
        parts.append(_bibtex_escape(name["suffix"]))
    if name.get("given"):
        parts.append(re.sub(r"\s+and\s+", " {and} ", _bibtex_escape(name["given"])))
    return ", ".join(part.replace(",", "{,}") for part in parts)


def _year(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return str(date["date-parts"][0][0])
    if isinstance(date, dict) and date.get("literal"):
        return str(date["literal"])
    return None


def _bibtex(citation: Citation) -> str:
    item = citation.item
    entry_type = "incollection" if item.get("type") == "chapter" else "unpublished"
    key = str(item["id"]) + (f":{citation.passage_ref}" if citation.passage_ref else "")
    key = re.sub(r"[^A-Za-z0-9:._-]", "-", key)
    fields: list[tuple[str, str]] = []

    def add(name: str, value: str | None, escape: bool = True) -> None:
        if value:
            fields.append((name, _bibtex_escape(value) if escape else value))

    if item.get("author"):
        add("author", " and ".join(_bibtex_name(n) for n in item["author"]), escape=False)
    add("title", item.get("title"))
    add("booktitle", item.get("container-title"))
    if item.get("editor"):
        add("editor", " and ".join(_bibtex_name(n) for n in item["editor"]), escape=False)
    add("series", citation.series)
    add("publisher", item.get("publisher"))
    add("address", item.get("publisher-place"))
    add("year", _year(item.get("issued")))
    add("pages", str(item["page"]).replace("-", "--") if item.get("page") else None)
    notes = []
    if item.get("number"):
        notes.append(f"Document {item['number']}")
    if citation.place or citation.date:
        notes.append(", ".join(p for p in (citation.place, citation.date) if p))
    if citation.passage_ref:
        notes.append(passage_note(citation))
    add("note", ". ".join(notes))
    add("isbn", item.get("ISBN"))
    add("url", _bibtex_url(str(item["URL"])) if item.get("URL") else None, escape=False)
    add("language", item.get("language"))
    width = max(len(name) for name, _ in fields) if fields else 0
    body = "".join(f",\n  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key}{body}\n}}\n"


def _ris(citation: Citation) -> str:
    item = citation.item
    lines: list[tuple[str, str]] = [("TY", "CHAP" if item.get("type") == "chapter" else "MANSCPT")]
    key = str(item["id"]) + (f":{citation.passage_ref}" if citation.passage_ref else "")
    lines.append(("ID", key))
    if item.get("title"):
        lines.append(("TI", str(item["title"])))
    for name in item.get("author", []):
        lines.append(("AU", name_inverted(name)))
    if item.get("container-title"):
        lines.append(("T2", item["container-title"]))
    for name in item.get("editor", []):
        lines.append(("A2", name_inverted(name)))
    for name in item.get("collection-editor", []):
        lines.append(("A3", name_inverted(name)))
    if citation.series:
        lines.append(("T3", citation.series))
    year = _year(item.get("issued"))
    if year:
        lines.append(("PY", year))
    if citation.date and item.get("type") != "chapter":
        lines.append(("DA", citation.date.replace("-", "/")))
    if item.get("publisher-place"):
        lines.append(("CY", item["publisher-place"]))
    if item.get("publisher"):
        lines.append(("PB", item["publisher"]))
    if item.get("page"):
        first, _, last = str(item["page"]).partition("-")
        lines.append(("SP", first))
        if last:
            lines.append(("EP", last))
    if item.get("ISBN"):
        lines.append(("SN", item["ISBN"]))
    if item.get("URL"):
        lines.append(("UR", item["URL"]))
    if item.get("language"):
        lines.append(("LA", item["language"]))
    if item.get("number"):
        lines.append(("N1", f"Document {item['number']}"))
    if citation.date and item.get("type") == "chapter":
        lines.append(("N1", "Written: " + ", ".join(p for p in (citation.place, citation.date) if p)))
    if citation.passage_ref:
        lines.append(("N1", "Passage: " + passage_note(citation)))
    lines.append(("ER", ""))
    # one line per tag, whatever the header holds: a newline could start a tag of its own
    return "".join(f"{tag}  - {_one_line(str(value)).strip()}\n" for tag, value in lines)


_OAI = "http://www.openarchives.org/OAI/2.0/oai_dc/"
_DC = "http://purl.org/dc/elements/1.1/"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _dc(citation: Citation) -> str:
    item = citation.item
    root = etree.Element(f"{{{_OAI}}}dc", nsmap={"oai_dc": _OAI, "dc": _DC, "xsi": _XSI})
    root.set(f"{{{_XSI}}}schemaLocation", f"{_OAI} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(name: str, value: str | None) -> None:
        if value:
            etree.SubElement(root, f"{{{_DC}}}{name}").text = value

    title = item.get("title")
    if citation.passage_ref:
        title = f"{title} [{passage_note(citation)}]" if title else None
    add("title", title)
    for name in item.get("author", []):
        add("creator", name_inverted(name))
    for name in item.get("editor", []):
        add("contributor", f"{name_inverted(name)} (editor)")
    for name in item.get("collection-editor", []):
        add("contributor", f"{name_inverted(name)} (general editor)")
    add("date", citation.date)
    if item.get("type") == "chapter":
        add("date", _year(item.get("issued")))
    elif citation.posted:
        add("date", citation.posted)
    add("coverage", citation.place)
    add("publisher", item.get("publisher"))
    add("type", "Text")
    add("identifier", item.get("URL"))
    add("identifier", str(item["id"]) + (f"#{citation.passage_ref}" if citation.passage_ref else ""))
    if item.get("container-title"):
        source = [str(item["container-title"])]
        if item.get("number"):
            source.append(f"Document {item['number']}")
        if item.get("page"):
            source.append(f"pp. {str(item['page']).replace('-', '–')}")
        imprint = ": ".join(p for p in (item.get("publisher-place"), item.get("publisher")) if p)
        imprint = ", ".join(p for p in (imprint, _year(item.get("issued"))) if p)
        add("source", ", ".join(source) + (f" ({imprint})" if imprint else ""))
    if item.get("ISBN"):
        add("relation", f"urn:isbn:{item['ISBN']}")
    if citation.series:
        add("relation", citation.series)
    add("language", item.get("language"))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True).decode("utf-8")


def _and_names(names: list[dict[str, str]]) -> str:
    shown = [name_direct(n) for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _ohist(citation: Citation) -> str:
    """The Office of the Historian's recommended form: volume, editors (not the general
    editor), place, publisher, year, Document N, then the document's URL."""
    item = citation.item
    if not item.get("container-title") or not item.get("number"):
        return ""
    text = str(item["container-title"])
    editors = item.get("editor", [])
    if editors:
        text += f", {'eds.' if len(editors) > 1 else 'ed.'} {_and_names(editors)}"
    imprint = ": ".join(p for p in (item.get("publisher-place"), item.get("publisher")) if p)
    year = _year(item.get("issued"))
    imprint = ", ".join(p for p in (imprint, year) if p)
    if imprint:
        text += f" ({imprint})"
    text += f", Document {item['number']}"
    if citation.passage_ref:
        text += f", {_label(citation)} {citation.locator}"
    text += "."
    if item.get("URL"):
        text += f" {item['URL']}"
    return text


def _chicago_note(citation: Citation) -> str:
    return _chicago(citation, bibliography=False, markup="text")


def _chicago_bibliography(citation: Citation) -> str:
    return _chicago(citation, bibliography=True, markup="text")


#: Format name → writer (a plain registry, as the house style asks).
_WRITERS: dict[str, Any] = {
    "chicago-note": _chicago_note, "chicago-bibliography": _chicago_bibliography,
    "ohist": _ohist, "csl-json": _csl_json, "bibtex": _bibtex, "ris": _ris, "dc": _dc,
}

