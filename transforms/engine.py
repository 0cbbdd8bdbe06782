"""The engine: walks a TEI tree and asks a writer to render each behaviour.

A writer implements the vocabulary of :mod:`transforms.behaviours`, one
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

import keyword
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from lxml import etree

from edition.diagnostics import Diagnostic, EditionUsageError
from edition.document import TEI_NS, Document, local_name

from .behaviours import DEFAULT, VOCABULARY, BehaviourTable, Model

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
    options: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)


class Content(Generic[Fragment]):
    """The content of a node, rendered on demand."""

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
        """The node's string value, white space normalised (for attributes, titles, sorting)."""
        return normalize_space("".join(self.node.itertext())).strip()


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

    # -- whole outputs (called by edition.build) ----------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: dict[str, Any]) -> UnitResult:
        """Render one unit (a document division, or a whole text) into files."""
        raise NotImplementedError

    def finish(self, records: list[dict[str, Any]], options: dict[str, Any]) -> dict[str, bytes]:
        """Files that depend on every unit (index pages, assets); ``records`` in build order."""
        return {}

    # -- text and assembly (every writer) ---------------------------------
    def text(self, ctx: Context, value: str) -> Fragment:
        raise NotImplementedError

    def join(self, ctx: Context, fragments: list[Fragment]) -> Fragment:
        raise NotImplementedError

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


class Renderer(Generic[Fragment]):
    """Renders nodes of one document with one writer and one behaviour table."""

    def __init__(self, writer: Writer[Fragment], document: Document, table: BehaviourTable = DEFAULT,
                 options: dict[str, Any] | None = None, unit: etree._Element | None = None) -> None:
        self.writer = writer
        self.table = table
        self.ctx = Context(document=document, writer=writer.name, unit=unit, options=dict(options or {}))
        self._unknown: dict[str, list[Any]] = {}
        self._methods: dict[str, Callable[..., Fragment]] = {}

    def model(self, node: etree._Element) -> Model:
        model = self.table.select(node, self.writer.outputs)
        if model is None:
            seen = self._unknown.get(node.tag)
            if seen is None:
                self._unknown[node.tag] = [node, 1]
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
        if not isinstance(node.tag, str):
            return self.writer.join(self.ctx, [])  # comments and processing instructions are not text
        model = self.model(node)
        return self._method(model.behaviour)(self.ctx, node, model, Content(self, node))

    def children(self, node: etree._Element) -> Fragment:
        writer, ctx = self.writer, self.ctx
        parts: list[Fragment] = []
        if node.text:
            parts.append(writer.text(ctx, node.text))
        for child in node:
            parts.append(self.render(child))
            if child.tail:
                parts.append(writer.text(ctx, child.tail))
        return writer.join(ctx, parts)

    def diagnostics(self) -> Iterator[Diagnostic]:
        """W0301 for each element the table did not know: first place, and how many."""
        document = self.ctx.document
        for tag, (node, count) in sorted(self._unknown.items()):
            qname = etree.QName(tag)
            shown = local_name(node) if qname.namespace in (None, TEI_NS) else f"{{{qname.namespace}}}{qname.localname}"
            more = f" ({count} in this unit)" if count > 1 else ""
            yield document.diagnostic(
                node, "W0301", f"<{shown}> is not in the behaviour table; rendered by the fallback "
                f"for the {self.writer.name} output{more}. Map it in transforms/behaviours.py")


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
#: the print edition does not pay for importing WeasyPrint.
BUILTIN_WRITERS = {"html": "transforms.html", "text": "transforms.text", "pdf": "transforms.pdf"}


def _import_writer(module: str) -> None:
    import importlib

    importlib.import_module(module)  # each writer module registers itself on import


def load_writers() -> dict[str, type[Writer]]:
    """Import every built-in writer module (each registers itself); return the registry."""
    for module in BUILTIN_WRITERS.values():
        _import_writer(module)
    return WRITERS


def get_writer(name: str) -> type[Writer]:
    key = WRITER_ALIASES.get(name.lower(), name.lower())
    if key not in WRITERS:
        if key in BUILTIN_WRITERS:
            _import_writer(BUILTIN_WRITERS[key])
        else:
            load_writers()
    if key not in WRITERS:
        raise UnknownWriterError.at("E0901", f"no writer named {name!r}; the writers are "
                                    f"{', '.join(sorted(WRITERS))}")
    return WRITERS[key]
