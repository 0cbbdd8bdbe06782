"""The contract between the build and the writers: typed records, not dictionaries of keys.

:class:`BuildOptions` is what a build was asked for (the outputs, each writer's own options as
given: ``width``, ``diplomatic``, ``pdf_engine``, …, checked by the writer's ``check_options``).
:class:`UnitRecord` is one unit (a page) as the build planned it, handed to
:meth:`~edition.transforms.engine.Writer.write_unit`.  Links between a volume's pages
(``prev``, ``next``, ``page_of``) end in the suffix of the writer they are made for
(:attr:`~edition.transforms.engine.Writer.link_suffix`), not in ``.html`` for every writer.

A record also reads as a mapping (its fields, then the writer options), so that a writer of
another package written against the dictionary of earlier versions (``options.get("width")``,
``options["basename"]``) keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class BuildOptions:
    """What a build was asked for, as every writer sees it."""

    #: The outputs chosen (writer names, ``cite``, exports), sorted.
    formats: tuple[str, ...] = ()
    #: Each writer's own options, as given.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)


@dataclass
class UnitRecord(Mapping[str, Any]):
    """One unit (a page) as the build planned it, for one writer."""

    #: The file name without its suffix, and the page's path in the writer's folder without it.
    basename: str = "index"
    page: str = "index"
    #: The way back to the writer's folder (``"../"`` from a volume's folder).
    root: str = ""
    #: The input file's stem (what ids of the edition's indexes are prefixed with).
    docid: str = "doc"
    #: The first unit of its file (the one that carries the file's authorities).
    first: bool = False
    #: A volume's (folder, title), or None for a file that is one page.
    volume: tuple[str, str] | None = None
    #: The heads of the chapters the unit stands in, outermost first.
    chapters: Sequence[str] = ()
    #: Elements of the file rendered on other pages of its volume → their link (``d12.html#pb-3``).
    page_of: Mapping[etree._Element, str] = field(default_factory=dict)
    #: The unit's citation files (``cite/<page>/``), and the citation metadata (once for every writer).
    cite_files: Sequence[str] = ()
    citation: Any = None
    #: Page breaks printed between the previous document and this one (rendered on this page).
    preceding: Sequence[etree._Element] = ()
    #: The previous and next pages of a volume: (link, title).
    prev: tuple[str, str] | None = None
    next: tuple[str, str] | None = None
    #: What the build was asked for.
    options: BuildOptions = field(default_factory=BuildOptions)

    @property
    def formats(self) -> tuple[str, ...]:
        return self.options.formats

    # -- the mapping view: the fields (but ``options``), then the writer options ----------
    def _own(self) -> dict[str, Any]:
        found = {name: getattr(self, name) for name in _FIELDS}
        found["formats"] = self.options.formats
        for name in ("prev", "next"):
            if found[name] is None:
                del found[name]
        return found

    def __getitem__(self, key: str) -> Any:
        if key in _FIELDS or key == "formats":
            value = getattr(self, key)
            if value is None and key in ("prev", "next"):
                raise KeyError(key)
            return value
        return self.options.settings[key]

    def __iter__(self) -> Iterator[str]:
        own = self._own()
        yield from own
        yield from (key for key in self.options.settings if key not in own)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        if key in ("prev", "next"):
            return getattr(self, key) is not None
        return key in _FIELDS or key == "formats" or key in self.options.settings


_FIELDS = frozenset(item.name for item in fields(UnitRecord)) - {"options"}


def as_record(options: Mapping[str, Any]) -> UnitRecord:
    """``options`` as a :class:`UnitRecord`: itself, or a mapping's keys as its fields and the rest
    as the writer options (what a caller of ``write_unit`` outside a build may pass)."""
    if isinstance(options, UnitRecord):
        return options
    own = {name: options[name] for name in _FIELDS if name in options}
    settings = {key: value for key, value in options.items() if key not in _FIELDS and key != "formats"}
    return UnitRecord(**own, options=BuildOptions(tuple(options.get("formats", ())), settings))
