"""A volume's printed back-of-book index on the web: one page per initial when it is long.

The index of a FRUS volume (``<list type="index">``, thousands of page references) makes a page
of 400 KB.  When the rendered list is longer than :data:`SPLIT_OVER`, its entries are put on one
page per initial: the unit's own page (``index-section.html``) holds what precedes the list (its
title), the first initial's entries and a navigation by initial that every page repeats; the
others are ``index-section-b.html`` and so on, in the same folder, so that the entries' links
(``d341.html#pg_698``) hold as they are.  An anchor that moves to another page (a page break or
a mention inside the index) is recorded in the unit's record (``anchor_pages``) for the links to
it (:func:`edition.transforms.reader.anchor_page`): the volume's list of printed pages and the
index pages of persons and places.

The list is split in the markup :class:`~edition.transforms.html_behaviours.HtmlBehaviours` made
for it (escaped text, balanced elements), by its top-level ``<li>`` elements; page breaks
between two entries go with the entry that follows them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

from .indexes import letter
from .markup import attribute, escape

#: A rendered index list longer than this (characters) is split by initial.
SPLIT_OVER = 100_000
_LIST = re.compile(r'<div class="list list-index"><(ul|ol)\b[^>]*>')
_ITEM_TAG = re.compile(r"<(/?)li\b[^>]*>|</(?:ul|ol)>")
_BREAK = re.compile(r'<span class="pb"[^>]*>.*?</span>', re.S)
_TAG = re.compile(r"<[^>]+>")
_ID = re.compile(r'\sid="([^"]+)"')


def split_pages(body: str, name: str, taken: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """[(file, initial, body)] of the pages of a unit whose body holds a long index list, the
    unit's own page first (initial "" when the body is not split: [] then)."""
    found = _LIST.search(body)
    if found is None:
        return []
    items, end = _items(body, found.end())
    if end - found.end() <= SPLIT_OVER or not items:
        return []
    groups: dict[str, list[str]] = {}
    for item, entry in items:
        groups.setdefault(_initial(entry), []).append(item)
    initials = sorted(groups, key=lambda initial: (initial == "other", initial))
    files = {initial: f"{name}.html" if index == 0 else f"{name}-{initial}.html"
             for index, initial in enumerate(initials)}
    others = set(files.values()) - {f"{name}.html"}
    if len(initials) < 2 or others & {page.partition("#")[0] for page in taken}:
        return []
    # the page breaks after the last entry stay after it; the rest of the body closes every page
    tail, last = body[end:], _initial(items[-1][1])
    pages = []
    for initial in initials:
        pages.append((files[initial], initial, f"{body[:found.start()]}{_nav(files, initial)}{found.group(0)}"
                                               f"{''.join(groups[initial])}"
                                               f"{tail if initial == last else _BREAK.sub('', tail)}"))
    return pages


def anchor_pages(pages: list[tuple[str, str, str]]) -> dict[str, str]:
    """Anchor → file of the anchors that moved from the unit's own page to another."""
    own = set(_ID.findall(pages[0][2])) if pages else set()
    return {anchor: file for file, _, body in pages[1:] for anchor in _ID.findall(body) if anchor not in own}


def _items(body: str, start: int) -> tuple[list[tuple[str, str]], int]:
    """The list's top-level items from ``start`` (markup, with what precedes it, such as the page
    breaks the list behaviour puts in "list-extra" items; and the entry's own ``<li>``), and where
    the list closes."""
    items: list[tuple[str, str]] = []
    depth = 0
    begin = opening = start
    extra = False
    for tag in _ITEM_TAG.finditer(body, start):
        text = tag.group(0)
        if text.startswith(("</ul", "</ol")):
            if depth == 0:
                if items and body[begin:tag.start()].strip():
                    items[-1] = (items[-1][0] + body[begin:tag.start()], items[-1][1])
                return items, tag.start()
        elif tag.group(1):
            depth -= 1
            if depth == 0 and not extra:
                items.append((body[begin:tag.end()], body[opening:tag.end()]))
                begin = tag.end()
        else:
            if depth == 0:
                extra, opening = text.startswith('<li class="list-extra"'), tag.start()
            depth += 1
    return items, len(body)


def _initial(entry: str) -> str:
    return letter(html.unescape(_TAG.sub("", _BREAK.sub("", entry))))


def _nav(files: Mapping[str, str], current: str) -> str:
    links = []
    for initial, file in files.items():
        here = ' aria-current="page"' if initial == current else ""
        label = "other" if initial == "other" else initial.upper()
        links.append(f'<li><a href="{attribute(file)}"{here}>{escape(label)}</a></li>')
    return f'<nav class="letters" aria-label="Index by initial"><ul>{"".join(links)}</ul></nav>'
