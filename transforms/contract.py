"""The contract between the build and the writers: typed records, not dictionaries of keys.

:class:`BuildOptions` is what a build was asked for (the outputs, each writer's own options as
given: ``width``, ``diplomatic``, ``pdf_engine``, …, checked by the writer's ``check_options``).
:class:`UnitRecord` is one unit (a page) as the build planned it, handed to
:meth:`~edition.transforms.engine.Writer.write_unit`.  Links between a volume's pages
(``prev``, ``next``, ``page_of``) end in the suffix of the writer they are made for
(:attr:`~edition.transforms.engine.Writer.link_suffix`), not in ``.html`` for every writer.

The toolkit's own writers read the records' attributes (``record.basename``,
``record.options.get("width")``), which mypy checks.  A record also reads as a mapping (its fields,
then the writer options) only so that a writer of another package written against the dictionary of
earlier versions (``options.get("width")``, ``options["basename"]``) keeps working; and
:func:`as_record` makes a record of such a dictionary for a caller of ``write_unit`` outside a build.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from lxml import etree


@dataclass(frozen=True)
class BuildOptions(Mapping[str, Any]):
    """What a build was asked for, as every writer sees it (in each unit's record, and in
    :meth:`~edition.transforms.engine.Writer.finish`).

    Read :attr:`formats`, and a writer option with :meth:`get`; the mapping view (the writer
    options, and ``"formats"``) is kept for ``finish`` methods of other packages written against
    the dictionary of earlier versions.
    """

    #: The outputs chosen (writer names, ``cite``, exports), sorted.
    formats: tuple[str, ...] = ()
    #: Each writer's own options, as given.
    settings: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """A writer option (``width``, ``title``, …), or ``default`` when the build was not given it
        (``"formats"``: :attr:`formats`, as the dictionary of earlier versions had it)."""
        return self.formats if name == "formats" else self.settings.get(name, default)

    # -- the mapping view: ``formats``, then the writer options --------------------------
    def __getitem__(self, key: str) -> Any:
        return self.formats if key == "formats" else self.settings[key]

    def __iter__(self) -> Iterator[str]:
        yield "formats"
        yield from (key for key in self.settings if key != "formats")

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return key == "formats" or key in self.settings


@dataclass
class UnitRecord(Mapping[str, Any]):
    """One unit (a page) as the build planned it, for one writer.

    Read its attributes; the mapping view (``record["basename"]``, ``record.get("width")``: the
    fields but ``options``, then the writer options) is kept for writers of other packages written
    against the dictionary of earlier versions, not for new code.
    """

    #: The file name without its suffix, and the page's path in the writer's folder without it; empty
    #: when no build planned the unit (a call of ``write_unit`` outside one): the writer names the file.
    basename: str = ""
    page: str = ""
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


def as_options(options: Mapping[str, Any]) -> BuildOptions:
    """``options`` as :class:`BuildOptions`: itself, or a mapping's ``formats`` and the rest as the
    writer options (what a caller of ``finish`` outside a build may pass)."""
    if isinstance(options, BuildOptions):
        return options
    settings = {key: value for key, value in options.items() if key != "formats"}
    return BuildOptions(tuple(options.get("formats", ())), settings)


def as_record(options: Mapping[str, Any]) -> UnitRecord:
    """``options`` as a :class:`UnitRecord`: itself, or a mapping's keys as its fields and the rest
    as the writer options (what a caller of ``write_unit`` outside a build may pass)."""
    if isinstance(options, UnitRecord):
        return options
    own = {name: options[name] for name in _FIELDS if name in options}
    settings = {key: value for key, value in options.items() if key not in _FIELDS and key != "formats"}
    return UnitRecord(**own, options=BuildOptions(tuple(options.get("formats", ())), settings))
