"""A citation in a web page's head: Highwire ``citation_*`` meta tags (Zotero), schema.org
JSON-LD and the canonical link."""

from __future__ import annotations

from typing import Any

from .citation_formats import passage_note
from .citation_record import Citation, name_direct, name_inverted


def highwire_meta(citation: Citation) -> list[tuple[str, str]]:
    """``citation_*`` meta tags as Zotero's Embedded Metadata translator reads them:
    ``citation_book_title``/``citation_inbook_title`` make a book section, editors are
    ``citation_editor``, pages the printed pages (not the document number)."""
    item = citation.item
    tags: list[tuple[str, str]] = []

    def add(name: str, value: Any) -> None:
        if value:
            tags.append((name, str(value)))

    add("citation_title", item.get("title"))
    for name in item.get("author", []):
        add("citation_author", name_inverted(name))
    if item.get("type") == "chapter":
        add("citation_inbook_title", item.get("container-title"))
        add("citation_book_title", item.get("container-title"))
        for name in item.get("editor", []):
            add("citation_editor", name_inverted(name))
        add("citation_series_title", citation.series)
    add("citation_publisher", item.get("publisher"))
    # citation_date would override citation_publication_date in Zotero: emit only one date.
    add("citation_publication_date", _highwire_date(item.get("issued")))
    if item.get("page"):
        first, _, last = str(item["page"]).partition("-")
        add("citation_firstpage", first)
        add("citation_lastpage", last or first)
    add("citation_isbn", item.get("ISBN"))
    add("citation_language", item.get("language"))
    add("citation_public_url", item.get("URL"))
    return tags


def _highwire_date(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return "/".join(f"{part:02d}" if index else str(part)
                        for index, part in enumerate(date["date-parts"][0]))
    return None


def _iso_of(date: Any) -> str | None:
    if isinstance(date, dict) and date.get("date-parts"):
        return "-".join(f"{part:02d}" if index else str(part)
                        for index, part in enumerate(date["date-parts"][0]))
    return None


def _ld_person(name: dict[str, str]) -> dict[str, str]:
    person = {"@type": "Person", "name": name_direct(name)}
    if name.get("family"):
        person["familyName"] = name["family"]
    if name.get("given"):
        person["givenName"] = name["given"]
    if name.get("suffix"):
        person["honorificSuffix"] = name["suffix"]
    return person


def json_ld(citation: Citation) -> dict[str, Any]:
    """schema.org description: a Chapter in a Book (or a CreativeWork for a standalone document)."""
    item = citation.item
    data: dict[str, Any] = {"@context": "https://schema.org",
                            "@type": "Chapter" if item.get("type") == "chapter" else "CreativeWork"}
    if citation.url_is_canonical and item.get("URL"):
        data["@id"] = item["URL"]
    data["name"] = item.get("title")
    if item.get("author"):
        data["author"] = [_ld_person(n) for n in item["author"]]
    if citation.date:
        data["dateCreated"] = citation.date
    if citation.place:
        data["locationCreated"] = {"@type": "Place", "name": citation.place}
    if item.get("type") == "chapter":
        if item.get("page"):
            first, _, last = str(item["page"]).partition("-")
            data["pageStart"] = first
            data["pageEnd"] = last or first
        if item.get("number"):
            data["position"] = str(item["number"])
        book: dict[str, Any] = {"@type": "Book", "name": item.get("container-title")}
        if item.get("editor"):
            book["editor"] = [_ld_person(n) for n in item["editor"]]
        if item.get("collection-editor"):
            book["contributor"] = [{**_ld_person(n), "roleName": "general editor"}
                                   for n in item["collection-editor"]]
        if item.get("ISBN"):
            book["isbn"] = item["ISBN"]
        if item.get("publisher"):
            book["publisher"] = {"@type": "Organization", "name": item["publisher"]}
            if item.get("publisher-place"):
                book["publisher"]["location"] = item["publisher-place"]
        if _iso_of(item.get("issued")):
            book["datePublished"] = _iso_of(item.get("issued"))
        if citation.series:
            book["isPartOf"] = {"@type": "BookSeries", "name": citation.series}
        data["isPartOf"] = {key: value for key, value in book.items() if value}
    else:
        if _iso_of(item.get("issued")) and not citation.date:
            data["dateCreated"] = _iso_of(item.get("issued"))
        if citation.posted:
            data["datePublished"] = citation.posted
        if item.get("publisher"):
            data["publisher"] = {"@type": "Organization", "name": item["publisher"]}
    if item.get("URL"):
        data["url"] = item["URL"]
    if item.get("language"):
        data["inLanguage"] = item["language"]
    if citation.passage_ref:
        data["citation"] = passage_note(citation)
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def canonical_url(citation: Citation) -> str | None:
    """The document's own page (for ``<link rel="canonical">``), or None when the header
    names only a scan or nothing."""
    url = citation.item.get("URL")
    return str(url) if url and citation.url_is_canonical else None
