"""The engine: walks a TEI tree and asks a writer to render each behaviour.

A writer implements the vocabulary of :mod:`edition.transforms.behaviours`, one
method per behaviour, each with the same signature
``(ctx, node, model, content) -> Fragment`` (after TEI Publisher's
``pmf:paragraph($config, $node, $class, $content)``).  ``content`` renders
lazily: ``content()`` gives the node's children rendered, ``content.of(n)``
renders other nodes, so a writer can place a note's text elsewhere or pick
one branch of a ``choice``.  What a Fragment is belongs to the writer (a
string of HTML, a list of text blocks, …); the engine only passes them on.

Writers are registered by name in :data:`WRITERS` (Pandoc's writer list,
Sphinx's builders): ``register_writer`` refuses a duplicate name unless
``override=True``, and ``get_writer`` names the valid ones when asked for an
unknown writer.
"""

from __future__ import annotations

import contextlib
import keyword
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from lxml import etree

from edition.diagnostics import Diagnostic, EditionUsageError
from edition.document import TEI_NS, Document, local_name

from .behaviours import DEFAULT, VOCABULARY, BehaviourTable, Model
from .contract import BuildOptions, UnitRecord, as_record
from .stage import Decisions, Segment, decide, plain_text

Fragment = TypeVar("Fragment")

_SPACE = re.compile(r"\s+")


def method_name(behaviour: str) -> str:
    """``page-break`` → ``page_break``; ``pass`` → ``pass_`` (a keyword)."""
    name = behaviour.replace("-", "_")
    return name + "_" if keyword.iskeyword(name) else name


def normalize_space(text: str) -> str:
    """XML indentation is not content: runs of white space become one space."""
    return _SPACE.sub(" ", text)


@dataclass
class Context:
    """What a writer knows while rendering one unit of one document."""

    document: Document
    writer: str
    unit: etree._Element | None = None
    #: The writer options of the build (``diplomatic``, ``width``, …), what :meth:`option` reads.
    options: Mapping[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    #: the transform stage's decisions for the document (notes, readings, headings, breaks)
    decisions: Decisions = field(default=None)  # type: ignore[assignment]
    #: The unit as the build planned it (its page, links, volume, …).
    record: UnitRecord = field(default_factory=UnitRecord)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


class Content(Generic[Fragment]):
    """The content of a node, rendered on demand."""

    __slots__ = ("_renderer", "node")  # one per element rendered

    def __init__(self, renderer: Renderer[Fragment], node: etree._Element) -> None:
        self._renderer = renderer
        self.node = node

    def __call__(self) -> Fragment:
        return self._renderer.children(self.node)

    def of(self, nodes: etree._Element | Iterable[etree._Element]) -> Fragment:
        """Render other nodes (each with its own behaviour), without their tails."""
        if isinstance(nodes, etree._Element):
            nodes = [nodes]
        writer = self._renderer.writer
        return writer.join(self._renderer.ctx, [self._renderer.render(node) for node in nodes])

    def plain(self) -> str:
        """The node's text by the stage's rules, notes left out (for attributes, titles, sorting)."""
        return plain_text(self.node, diplomatic=bool(self._renderer.ctx.option("diplomatic")))


@dataclass
class UnitResult:
    """What a writer made of one unit (a document page): its files and a summary.

    ``files`` map paths relative to the writer's output folder to bytes;
    ``record`` is a small JSON-able summary (title, ref, date, mentions, …)
    that :meth:`Writer.finish` aggregates into index pages.  Units may be
    rendered in worker processes, so everything here must pickle.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Writer(Generic[Fragment]):
    """Base of every writer: one method per behaviour of the vocabulary.

    Subclasses declare ``name`` (the command-line value), ``format``,
    ``suffix`` and ``outputs`` (which ``output=`` models of the table apply:
    the web writer takes ``("web",)``, the print writer ``("print", "web")``
    so that print-specific models win and web ones are the fallback).
    """

    name: ClassVar[str] = ""
    format: ClassVar[str] = ""
    suffix: ClassVar[str] = ""
    outputs: ClassVar[tuple[str, ...]] = ()
    #: The suffix of the files this writer's pages link to (a volume's previous and next
    #: pages, a page break shown on another page); empty: its own ``suffix``.
    link_suffix: ClassVar[str] = ""

    def __init__(self, behaviours: BehaviourTable = DEFAULT) -> None:
        # the table every unit of this writer is rendered with (another one changes how elements
        # map to behaviours for this writer alone); not ``self.table``: that name is the table behaviour
        self.behaviours = behaviours

    # -- whole outputs (called by edition.build) ----------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: UnitRecord) -> UnitResult:
        """Render one unit (a document division, or a whole text) into files; ``options`` is the
        unit as the build planned it (it also reads as the mapping of earlier versions)."""
        raise NotImplementedError

    def finish(self, records: list[dict[str, Any]], options: BuildOptions) -> dict[str, bytes]:
        """Files that depend on every unit (index pages, assets); ``records`` in build order,
        ``options`` what the build was asked for."""
        return {}

    # -- text and assembly (every writer) ---------------------------------
    def text(self, ctx: Context, value: str) -> Fragment:
        raise NotImplementedError

    def join(self, ctx: Context, fragments: list[Fragment]) -> Fragment:
        raise NotImplementedError

    def reading_only(self, ctx: Context, value: str, reading: str) -> Fragment:
        """Text that only one reading shows (``"reading"`` or ``"diplomatic"``): a hyphen the
        stage drops from the reading text.  Writers of one reading show it or not; a writer
        that shows both readings at once overrides this."""
        shown = "diplomatic" if ctx.option("diplomatic") else "reading"
        return self.text(ctx, value) if reading == shown else self.join(ctx, [])

    # -- the vocabulary ------------------------------------------------------
    def document(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def block(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def heading(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def paragraph(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def inline(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def list(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def item(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def label(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def table(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def row(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def cell(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def note(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def page_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def line_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def link(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def alternate(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def quote(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def entity(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def date(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def figure(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def gap(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def metadata(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError

    def pass_(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return content()

    def omit(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return self.join(ctx, [])

    def fallback(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        raise NotImplementedError



def missing_behaviours(writer: type[Writer]) -> list[str]:
    """Behaviours of the vocabulary this writer class does not implement itself."""
    inherited_defaults = {"pass", "omit"}  # the base class's versions are right for every writer
    return [behaviour for behaviour in VOCABULARY
            if behaviour not in inherited_defaults
            and getattr(writer, method_name(behaviour)) is getattr(Writer, method_name(behaviour))]


#: The behaviour of an element whose readings the stage decided (choice, app, subst).
_ALTERNATE = Model("alternate")


class Renderer(Generic[Fragment]):
    """Renders nodes of one document with one writer and one behaviour table."""

    def __init__(self, writer: Writer[Fragment], document: Document, table: BehaviourTable = DEFAULT,
                 options: Mapping[str, Any] | None = None, unit: etree._Element | None = None) -> None:
        self.writer = writer
        self.table = table
        self.decisions = decide(document, table)
        record = as_record(options or {})
        self.ctx = Context(document=document, writer=writer.name, unit=unit, options=record.options.settings,
                           decisions=self.decisions, record=record)
        self._unknown: dict[str, list[Any]] = {}
        self._methods: dict[str, Callable[..., Fragment]] = {}
        self._resolved = table.resolver(writer.outputs)

    def model(self, node: etree._Element) -> Model:
        entry = self._resolved.get(node.tag)
        if entry is None:
            entry = self.table.resolve(self._resolved, node.tag, self.writer.outputs)
        model = self.table.pick(entry, node) if entry is not None else None
        if model is None:
            seen = self._unknown.get(node.tag)
            if seen is None:  # reported where the source has it (not in what the stage made)
                self._unknown[node.tag] = [self.decisions.origin(node), 1]
            else:
                seen[1] += 1
            return self.table.fallback
        return model

    def _method(self, behaviour: str) -> Callable[..., Fragment]:
        method = self._methods.get(behaviour)
        if method is None:
            method = getattr(self.writer, method_name(behaviour))
            self._methods[behaviour] = method
        return method

    def render(self, node: etree._Element) -> Fragment:
        """One node with its behaviour (its tail is its parent's business)."""
        tag = node.tag
        if not isinstance(tag, str):
            return self.writer.join(self.ctx, [])  # comments and processing instructions are not text
        decisions = self.decisions
        if decisions.generated:
            generated = decisions.generated.get(node)
            if generated is not None:
                node = generated  # what the stage made in its place (divGen's contents)
                tag = node.tag
        # the table's decision, as model() takes it, inlined: this runs for every element of every page
        entry = self._resolved.get(tag)
        if entry.__class__ is Model:
            model: Model = entry
        else:
            model = self.model(node)
        if decisions.alternates and node in decisions.alternates and model.behaviour != "omit":
            # which reading shows is the stage's decision, whatever row the table has for it
            model = _ALTERNATE
        method = self._methods.get(model.behaviour)
        if method is None:
            method = self._method(model.behaviour)
        return method(self.ctx, node, model, Content(self, node))

    def children(self, node: etree._Element) -> Fragment:
        writer, ctx, render = self.writer, self.ctx, self.render
        text = writer.text
        texts, tails = self.decisions.texts, self.decisions.tails
        parts: list[Fragment] = []
        segments = texts.get(node) if texts else None
        if segments is not None:
            parts += self._segments(segments)
        elif node.text:
            parts.append(text(ctx, node.text))
        for child in node:
            parts.append(render(child))
            segments = tails.get(child) if tails else None
            if segments is not None:
                parts += self._segments(segments)
            elif child.tail:
                parts.append(text(ctx, child.tail))
        return writer.join(ctx, parts)

    def _segments(self, segments: tuple[Segment, ...]) -> list[Fragment]:
        writer, ctx = self.writer, self.ctx
        return [writer.text(ctx, text) if not reading else writer.reading_only(ctx, text, reading)
                for text, reading in segments]

    def diagnostics(self) -> Iterator[Diagnostic]:
        """W0301 for each TEI element the table did not know, W0303 for each element of another
        namespace: at its first place in the unit.

        The message names the element only (not the output, not a count), so that the same
        element met by every writer and in every unit of a file is one finding: the build keeps
        the first of them (:func:`once_per_file`).
        """
        document = self.ctx.document
        for tag, (node, _count) in sorted(self._unknown.items()):
            qname = etree.QName(tag)
            if qname.namespace in (None, TEI_NS):
                yield document.diagnostic(
                    node, "W0301", f"<{local_name(node)}> is not in the behaviour table; its text is kept by "
                    "the fallback. Map it in transforms/vocabulary.py")
            else:
                yield document.diagnostic(
                    node, "W0303", f"<{qname.localname}> of namespace {qname.namespace} is not TEI; its text is "
                    "kept, its markup is not rendered. Map it in the behaviour table if it means more")


#: Findings that are about an element name, not a place: one per name and file is enough.
ONCE_PER_FILE = frozenset({"W0301", "W0303"})


def once_per_file(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Keep the first finding (in the order given) of each element name per file for the codes of
    :data:`ONCE_PER_FILE` (every writer and every unit of a file report the same element); keep the
    others as they are."""
    seen: set[tuple[str, str, str]] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if diagnostic.code in ONCE_PER_FILE:
            key = (diagnostic.path, diagnostic.code, diagnostic.message)
            if key in seen:
                continue
            seen.add(key)
        kept.append(diagnostic)
    return kept


# -- the registry --------------------------------------------------------------

WRITERS: dict[str, type[Writer]] = {}
WRITER_ALIASES: dict[str, str] = {"web": "html", "txt": "text", "print": "pdf"}


class UnknownWriterError(EditionUsageError):
    """No writer has that name."""


def register_writer(writer: type[Writer], override: bool = False) -> type[Writer]:
    """Add a writer class to :data:`WRITERS` (usable as a class decorator)."""
    if not writer.name:
        raise ValueError(f"{writer.__qualname__} has no name")
    if writer.name in WRITERS and WRITERS[writer.name] is not writer and not override:
        raise ValueError(f"a writer named {writer.name!r} is already registered; pass override=True")
    WRITERS[writer.name] = writer
    return writer


#: Modules that register the toolkit's own writers, by writer name; imported
#: on first use, so that a writer still being written (or one whose dependency
#: is missing) does not break the others, and a build that does not ask for
#: the print edition does not pay for importing WeasyPrint.  They are also
#: declared as entry points (below); this table keeps them usable from a
#: checkout whose installed metadata predates a writer.
BUILTIN_WRITERS = {"html": "edition.transforms.html", "text": "edition.transforms.text",
                   "pdf": "edition.transforms.pdf", "epub": "edition.transforms.epub"}

#: The entry-point group through which any installed package adds writers, as Sphinx finds
#: builders: ``[project.entry-points."edition.writers"] name = "module:WriterClass"``.
ENTRY_POINT_GROUP = "edition.writers"


def _import_writer(module: str) -> None:
    import importlib

    importlib.import_module(module)  # each writer module registers itself on import


def _writer_entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    found: dict[str, Any] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name.lower(), entry)  # the first installed distribution wins, as sys.path orders them
    return found


def _load_entry_point(name: str, entry: Any) -> type[Writer]:
    """The writer class an entry point names, registered; E0901 when it cannot be used."""
    try:
        writer = entry.load()
    except Exception as error:  # noqa: BLE001 - a broken plugin is the user's usage problem, said plainly
        raise UnknownWriterError.at("E0901", f"the writer {name!r} ({entry.value}) cannot be loaded: "
                                    f"{type(error).__name__}: {error}") from None
    if not (isinstance(writer, type) and issubclass(writer, Writer)) or writer.name.lower() != name:
        raise UnknownWriterError.at("E0901", f"the entry point {name!r} ({entry.value}) is not a Writer "
                                    f"subclass named {name!r}")
    if WRITERS.get(writer.name) is not writer:
        register_writer(writer)
    return writer


def load_writers() -> dict[str, type[Writer]]:
    """Import every built-in writer module and every installed ``edition.writers`` entry point
    that loads (each registers itself); return the registry."""
    for module in BUILTIN_WRITERS.values():
        _import_writer(module)
    for name, entry in _writer_entry_points().items():
        if name not in WRITERS:
            with contextlib.suppress(UnknownWriterError):  # named, it says why (get_writer)
                _load_entry_point(name, entry)
    return WRITERS


def get_writer(name: str) -> type[Writer]:
    key = WRITER_ALIASES.get(name.lower(), name.lower())
    if key not in WRITERS:
        if key in BUILTIN_WRITERS:
            _import_writer(BUILTIN_WRITERS[key])
        elif (entry := _writer_entry_points().get(key)) is not None:
            return _load_entry_point(key, entry)
        else:
            load_writers()
    if key not in WRITERS:
        raise UnknownWriterError.at("E0901", f"no writer named {name!r}; the writers are "
                                    f"{', '.join(sorted(WRITERS))}")
    return WRITERS[key]
