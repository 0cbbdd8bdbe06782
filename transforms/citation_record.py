"""The citation record: a CSL-JSON item, what the other formats need, where it all came from;
and CSL names, read from text and written in the two orders the formats use."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from edition.diagnostics import Diagnostic

_NAME_SUFFIXES = {"jr.", "jr", "sr.", "sr", "ii", "iii", "iv"}
_NAME_PARTICLES = frozenset({"de", "la", "le", "du", "des", "van", "von", "der", "den", "ten", "ter", "da",
                             "di", "del", "della", "dos", "das", "zu"})


class Provenance(MutableMapping[str, str]):
    """Field → where it came from: an XPath (``/tei:TEI/…/tei:date[1]``) or a note (``derived: …``).
    An XPath is found when it is read (a test, a tool), not when the field is set: a volume's
    build set 2,800 of them and read none."""

    def __init__(self) -> None:
        self._found: dict[str, str | Callable[[], str]] = {}

    def later(self, key: str, find: Callable[[], str]) -> None:
        """``key``'s source, found by ``find()`` when first read."""
        self._found[key] = find

    def take(self, other: Provenance) -> None:
        """``other``'s entries, found or not yet (``update`` would find them all)."""
        self._found.update(other._found)

    def __getitem__(self, key: str) -> str:
        value = self._found[key]
        if not isinstance(value, str):
            value = self._found[key] = value()
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self._found[key] = value

    def __delitem__(self, key: str) -> None:
        del self._found[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def __repr__(self) -> str:
        return repr(dict(self))

    def __reduce__(self) -> tuple[Any, ...]:
        # sent to another process found: the elements the finders hold stay here
        return _provenance, (dict(self),)


def _provenance(found: dict[str, str]) -> Provenance:
    provenance = Provenance()
    provenance.update(found)
    return provenance


@dataclass
class Citation:
    """A CSL-JSON item plus what the other formats need and where it all came from."""

    item: dict[str, Any]
    kind: str                               # "edition" | "volume" | "standalone"
    key: str                                # file stem for citation files ("d300")
    ref: str = ""                           # canonical reference of the cited unit
    ref_source: str = "citeStructure"       # or "fallback" (division id, paragraph position)
    passage_ref: str | None = None
    locator: str | None = None              # "4", "2–3"
    label: str | None = None                # CSL locator label: "paragraph"
    passage_pages: str | None = None        # pages the passage is printed on: "594"
    series: str | None = None
    place: str | None = None                # where the document was written
    date: str | None = None                 # ISO date of the document itself
    posted: str | None = None               # ISO date a standalone document was published online
    url_is_canonical: bool = False          # False when URL is a scan, not the document's page
    provenance: Provenance = field(default_factory=Provenance)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.item.get("title", ""))


def parse_name(text: str) -> dict[str, str]:
    """``"Cumming, Hugh S., Jr."``, ``"Hugh S. Cumming, Jr."`` or ``"Harriet Dashiell Schwar"`` → CSL name."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return {"literal": text}
    suffix = ""
    if len(parts) > 1 and parts[-1].lower() in _NAME_SUFFIXES:
        suffix = parts.pop()
    if len(parts) >= 2:
        name = {"family": parts[0], "given": ", ".join(parts[1:])}
    else:
        words = parts[0].split()
        if len(words) == 1:
            name = {"family": words[0]}
        else:
            # a surname's lowercase particle starts the family name: "de la Mare", "Charles de Gaulle"
            start = next((i for i, word in enumerate(words[:-1]) if word in _NAME_PARTICLES), len(words) - 1)
            name = {"family": " ".join(words[start:])}
            if start:
                name["given"] = " ".join(words[:start])
    if suffix:
        name["suffix"] = suffix
    return name


def name_inverted(name: dict[str, str]) -> str:
    """``Family, Given, Suffix`` (RIS, Dublin Core, Highwire)."""
    if "literal" in name:
        return name["literal"]
    return ", ".join(p for p in (name.get("family"), name.get("given"), name.get("suffix")) if p)


def name_direct(name: dict[str, str]) -> str:
    if "literal" in name:
        return name["literal"]
    text = " ".join(p for p in (name.get("given"), name.get("family")) if p)
    return f"{text}, {name['suffix']}" if name.get("suffix") else text

