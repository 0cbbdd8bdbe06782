"""Index pages of persons, places, organisations and terms that tell the truth.

One entry per authority entry (a standOff ``person``, a volume's List of Persons item, …) with
every mention listed by document number, title and date, grouped per document; names that no
``@corresp``/``@ref`` ties to an entry are listed apart, under their printed form, because the
same surname ("Dulles") may be several people.  An entry is linked to the printed list that
holds it (the volume's List of Persons), which links back to the entry.  A kind with no entry
has no page and no link.  When the edition holds a volume, each kind is split into one page per
initial letter (a FRUS volume's persons make 300 KB on one page), and the kind's own page lists
the letters; the writer links every mention straight to its letter's page (:func:`entry_page`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .markup import safe_id
from .reader import _attribute, _escape, anchor_page, date_html

#: kind → (file stem, title)
INDEX_KINDS: dict[str, tuple[str, str]] = {
    "person": ("persons", "Persons"),
    "place": ("places", "Places"),
    "org": ("organisations", "Organisations"),
    "term": ("terms", "Terms and abbreviations"),
}
#: The overview of the indexes (linked from every page's header).
OVERVIEW = "indexes.html"
_TITLE_LENGTH = 90


def letter(label: str) -> str:
    """The initial a page is filed under: a–z, else "other"."""
    for char in label.casefold():
        if char.isalnum():
            folded = char.encode("ascii", "ignore").decode() or char
            return folded if "a" <= folded <= "z" else "other"
    return "other"


def entry_page(kind: str, label: str, split: bool) -> str:
    """The index page holding the entry labelled ``label`` (relative to the html folder)."""
    stem = INDEX_KINDS[kind][0]
    return f"{stem}-{letter(label)}.html" if split else f"{stem}.html"


def _short(title: str) -> str:
    return title if len(title) <= _TITLE_LENGTH else title[:_TITLE_LENGTH].rsplit(" ", 1)[0] + "…"


def index_pages(records: list[dict[str, Any]]) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, int]]]:
    """file → (title, main element) of every index page, and the overview's rows (file, title, entries)."""
    entries: dict[str, list[str]] = {}
    identified: set[str] = set()
    for record in records:
        for key, entry in record.get("authorities", {}).items():
            entries.setdefault(key, entry)
            identified.add(key)
        for key, entry in record.get("entries", {}).items():
            entries.setdefault(key, entry)
            if not key.startswith(f"{entry[0]}.") or entry[2]:
                identified.add(key)
    # key → page → [first anchor, count, record]
    found: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for record in records:
        for key, anchor in record.get("mentions", []):
            slot = found[key].setdefault(record["page"], [anchor, 0, record])
            slot[1] += 1
    split = any(record.get("volume") for record in records)
    singles = {key for record in records if not record.get("volume") for key, _ in record.get("mentions", [])}
    pages: dict[str, tuple[str, str]] = {}
    overview: list[tuple[str, str, int]] = []
    shown: dict[int, str] = {}  # by id(): the records outlive this call, so no id is reused in it
    for kind, (stem, title) in INDEX_KINDS.items():
        chosen = sorted(((entry[1].casefold(), key, entry) for key, entry in entries.items()
                         if entry[0] == kind and (key in identified or key in found)))
        if not chosen:
            continue
        overview.append((f"{stem}.html", title, len(chosen)))
        by_page: dict[str, list[tuple[str, str, list[str]]]] = defaultdict(list)
        for item in chosen:
            by_page[entry_page(kind, item[2][1], split)].append(item)
        if split:
            letters = sorted(by_page, key=lambda file: (file.endswith("-other.html"), file))
            nav = _letter_nav(letters, kind)
            for file in letters:
                initial = file[len(stem) + 1:-5]
                heading = f"{title}: {'other' if initial == 'other' else initial.upper()}"
                pages[file] = (heading, f'<main id="main" tabindex="-1"><h1>{_escape(heading)}</h1>{nav}'
                                        f'{_entries(by_page[file], identified, found, shown)}</main>')
            rows = [item for item in chosen if item[1] in singles]
            extra = ""
            if rows:
                extra = ('<h2>Names in the single documents</h2><ul class="entries compact">' + "".join(
                    f'<li id="{_attribute(_safe(key))}"><a href="{_attribute(entry_page(kind, entry[1], True))}'
                    f'#{_attribute(_safe(key))}">{_escape(entry[1])}</a></li>' for _, key, entry in rows) + "</ul>")
            pages[f"{stem}.html"] = (title, f'<main id="main" tabindex="-1"><h1>{_escape(title)}</h1>'
                                            f'<p>{len(chosen):,} entries, one page for each initial.</p>'
                                            f'{nav}{extra}</main>')
        else:
            pages[f"{stem}.html"] = (title, f'<main id="main" tabindex="-1"><h1>{_escape(title)}</h1>'
                                            f'{_entries(chosen, identified, found, shown)}</main>')
    return pages, overview


def overview_page(rows: list[tuple[str, str, int]]) -> str:
    if not rows:
        return ('<main id="main" tabindex="-1"><h1>Indexes</h1>'
                '<p>The documents built mark no person, place, organisation or term.</p></main>')
    items = "".join(f'<li><a href="{_attribute(file)}">{_escape(title)}</a> '
                    f'<span class="count">({count:,} entries)</span></li>' for file, title, count in rows)
    return f'<main id="main" tabindex="-1"><h1>Indexes</h1><ul class="indexes">{items}</ul></main>'


def _safe(key: str) -> str:
    return safe_id(key)


def _letter_nav(files: list[str], kind: str) -> str:
    stem = INDEX_KINDS[kind][0]
    links = "".join(f'<li><a href="{_attribute(file)}">{_escape(file[len(stem) + 1:-5].upper())}</a></li>'
                    for file in files)
    return f'<nav class="letters" aria-label="Initials"><ul>{links}</ul></nav>'


def _entries(chosen: list[tuple[str, str, list[str]]], identified: set[str],
             found: dict[str, dict[str, list[Any]]], shown: dict[int, str]) -> str:
    known = [item for item in chosen if item[1] in identified]
    unknown = [item for item in chosen if item[1] not in identified]
    parts: list[str] = []
    if known:
        rows = "".join(_entry(key, entry, found.get(key, {}), shown) for _, key, entry in known)
        parts.append(f'<ul class="entries">{rows}</ul>')
    if unknown:
        rows = "".join(_entry(key, entry, found.get(key, {}), shown) for _, key, entry in unknown)
        parts.append('<section class="unidentified" aria-labelledby="unidentified-title">'
                     '<h2 id="unidentified-title">Names not identified</h2>'
                     '<p>These names are not tied to an entry of the edition\'s lists: the same printed name '
                     'may stand for different people, so they are listed as printed, apart from the entries '
                     'above.</p>'
                     f'<ul class="entries">{rows}'
                     '</ul></section>')
    return "".join(parts)


def _entry(key: str, entry: list[str], pages: dict[str, list[Any]], shown: dict[int, str]) -> str:
    """One entry with its mentions; ``shown``: each record's short title and date as HTML, made
    once per record (a volume's 400 documents hold 4,500 mentions)."""
    description = f' <span class="identification">{_escape(entry[2])}</span>' if entry[2] else ""
    listed: list[str] = []
    mentions: list[str] = []
    for _page, (anchor, count, record) in pages.items():
        href = f"{anchor_page(record, anchor)}#{anchor}"
        if not record.get("is_document") and record.get("volume"):
            listed.append(f'<a class="listed" href="{_attribute(href)}">{_escape(record["title"])}</a>')
            continue
        times = f' <span class="count">({count} mentions)</span>' if count > 1 else ""
        title_and_date = shown.get(id(record))
        if title_and_date is None:
            title_and_date = shown[id(record)] = f'{_escape(_short(record["title"]))}</a>{date_html(record)}'
        mentions.append(f'<li><a href="{_attribute(href)}">{title_and_date}{times}</li>')
    listed_html = f' <span class="listed-in">Listed in: {", ".join(listed)}.</span>' if listed else ""
    if mentions:
        mention_html = f'<ul class="mentions">{"".join(mentions)}</ul>'
    else:
        mention_html = '<p class="mentions none">Not mentioned in the documents built.</p>'
    return (f'<li id="{_attribute(_safe(key))}"><span class="entry-label">{_escape(entry[1])}</span>'
            f'{description}{listed_html}{mention_html}</li>')
