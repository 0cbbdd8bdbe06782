"""The plain-text writer: UTF-8 text a reader can read in a terminal or an e-mail.

Every behaviour of the vocabulary returns a *fragment*: a list whose items
are inline strings and :class:`Block` objects.  Nothing is wrapped while the
tree is walked; :func:`layout` wraps each block once, at the end, with
:func:`wrap` (the lines :mod:`textwrap` gives: no broken words, no breaks at
hyphens), so indentation and line breaks of the XML never reach the output.

Layout decisions, each taken once here:

* headings of divisions are title lines, underlined with ``=`` (a document's
  title) or ``-`` (deeper divisions); heads of lists and tables are plain lines;
* dateline, salute, signature and address lines are lines of their own;
* lists use ``•`` or numbers (numbered lists, ``@rend``/``@type``), except
  subject-like lists, whose items are lines;
* tables are aligned columns when they fit the width, else ``a | b | c`` lines;
* notes are endnotes: ``[0]`` at their place, labelled by the transform stage
  (:mod:`edition.transforms.stage`: the source's ``@n``, the others numbered
  by its rule), their text after the document under "Notes";
* page breaks are ``[Page 594]`` with ``pages=True`` (those printed just before
  the unit too) and a plain word boundary otherwise; ``choice``, ``app`` and
  ``subst`` give the stage's reading text, or its diplomatic text when
  ``diplomatic=True``.

The public API is :class:`TextWriter` (registered as ``text``), :func:`plain`
(the text of any element, for citations), :func:`layout` and :func:`wrap`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from edition.diagnostics import EditionUsageError
from edition.document import Document, local_name, tei
from edition.paths import safe_name

from .behaviours import Model
from .contract import as_record
from .engine import Content, Context, Renderer, UnitResult, Writer, register_writer

__all__ = ["Block", "TextWriter", "layout", "plain", "wrap"]

DEFAULT_WIDTH = 72
MIN_WIDTH = 20
# The parser refuses nesting deeper than 256 levels; rendering and laying out
# one level takes a handful of Python frames, more than the default limit allows.
_RECURSION_LIMIT = 10_000

# XML white space only: a no-break space in the source is content, not layout.
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_EXTERNAL = re.compile(r"^(?:https?|ftp|mailto):", re.I)

# Lists whose items are lines of their own, without bullets (FRUS subject and participant lists).
_UNBULLETED = frozenset({"subject", "simple", "participants", "names", "terms", "toc", "index", "gloss"})
_NUMBERED = frozenset({"ordered", "numbered", "decimal", "arabic", "1"})
# block classes (from the table) that are single lines, and those that are groups of lines
_LINE_CLASSES = frozenset({"dateline", "salute", "signed", "addr-line", "verse-line", "byline",
                           "title-part", "doc-imprint", "trailer"})
_GROUP_CLASSES = frozenset({"opener", "closer", "address", "line-group", "speech", "doc-title", "title-page"})


class _Call(str):
    """A note call (``[0]``): it sticks to the word before it."""


#: A hard line break inside a block (from ``<lb/>``); text() never yields it.
HARD_BREAK = "\n"


@dataclass(frozen=True)
class Block:
    """A block of the output, laid out once by :func:`layout`.

    ``prefix`` starts its first line (a bullet, a number), ``indent`` every
    other line (a hanging indent); ``compact`` blocks put their children on
    consecutive lines, others leave a blank line between them unless both
    neighbours are ``tight``; ``underline`` draws a rule under a title.
    """

    kind: str
    parts: tuple[Part, ...] = ()
    prefix: str = ""
    indent: str = ""
    tight: bool = False
    compact: bool = False
    underline: str = ""


Part = str | Block
Fragment = list[Part]


def _space(text: str) -> str:
    # Nearly every string is already single-spaced or is only indentation; the
    # membership tests are much cheaper than a regular-expression pass over them.
    if "\n" not in text and "\t" not in text and "\r" not in text and "  " not in text:
        return text
    if not text.strip(" \t\r\n"):
        return " "
    return _XML_SPACE.sub(" ", text)


def _block(kind: str, parts: Iterable[Part], **layout_args: Any) -> Block:
    return Block(kind, tuple(parts), **layout_args)


# -- wrapping ---------------------------------------------------------------------
#
# textwrap.wrap with break_long_words=False, break_on_hyphens=False,
# expand_tabs=False (and its other defaults) was most of the time of a text
# build: it splits every paragraph into chunks and moves them one by one.  The
# greedy result only depends on where the spaces are, so :func:`wrap` cuts a
# well-formed paragraph line by line with str.rfind, and keeps a chunk-by-chunk
# port of textwrap's loop for the rest; tests/test_text.py checks both against
# textwrap on the whole FRUS volume and on generated hostile strings.

# What textwrap's replace_whitespace turns into spaces (its _whitespace), not str.isspace().
_TEXTWRAP_SPACE = str.maketrans(dict.fromkeys(map(ord, "\t\n\x0b\x0c\r"), " "))
_SPACE_RUN = re.compile(r"( +)")
# White space textwrap splits on besides the space, or a word of nothing but
# white space it does not split on (no-break spaces, em spaces…): str.strip()
# empties that word, so textwrap drops it at the ends of lines.
_AWKWARD = re.compile(r"[\t\n\x0b\x0c\r]|(?:^| )[^\S ]+(?= |$)")


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """The lines of ``textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
    break_long_words=False, break_on_hyphens=False, expand_tabs=False)``, byte for byte.

    Lines are filled greedily; a word longer than the line stands alone on its
    line; only ASCII white space separates words (a no-break space joins them).
    """
    if not text:
        return []
    if ("  " in text or text[0] == " " or text[-1] == " "
            or not text.isprintable() and _AWKWARD.search(text)):
        return _wrap_chunks(text, width, first, rest)
    # words separated by single spaces: each line ends at the last space that fits
    lines: list[str] = []
    start, end = 0, len(text)
    indent, room = first, width - len(first)
    while end - start > room:
        cut = text.rfind(" ", start, start + room + 1)
        if cut < 0:  # the first word does not fit on any line: it stands alone
            cut = text.find(" ", start)
            if cut < 0:
                break
        lines.append(indent + text[start:cut])
        start = cut + 1
        indent, room = rest, width - len(rest)
    lines.append(indent + text[start:])
    return lines


def _wrap_chunks(text: str, width: int, first: str, rest: str) -> list[str]:
    """textwrap's own loop, for text with runs of white space or blank words."""
    chunks = [chunk for chunk in _SPACE_RUN.split(text.translate(_TEXTWRAP_SPACE)) if chunk]
    chunks.reverse()
    lines: list[str] = []
    while chunks:
        indent = rest if lines else first
        room = width - len(indent)
        if lines and not chunks[-1].strip():
            del chunks[-1]  # a line does not start with white space, except the very first
        line: list[str] = []
        used = 0
        while chunks and used + len(chunks[-1]) <= room:
            used += len(chunks[-1])
            line.append(chunks.pop())
        if chunks and not line and len(chunks[-1]) > room:
            line.append(chunks.pop())  # too long for any line: alone, unbroken
        if line and not line[-1].strip():
            del line[-1]
        if line:
            lines.append(indent + "".join(line))
    return lines


# -- layout ---------------------------------------------------------------------

def _run_text(strings: Sequence[str]) -> list[str]:
    """One inline run → its segments between hard breaks, white space normalised."""
    joined: list[str] = []
    for piece in strings:
        if isinstance(piece, _Call):
            joined = ["".join(joined).rstrip(" "), piece]
        else:
            joined.append(piece)
    text = "".join(joined)
    if HARD_BREAK not in text:  # the common case: one segment
        segment = _space(text).strip()
        return [segment] if segment else []
    return [segment for segment in (_space(part).strip() for part in text.split(HARD_BREAK)) if segment]


def _wrap(segment: str, width: int | None, first: str, rest: str) -> list[str]:
    if width is None:
        return [first + segment]
    return wrap(segment, max(width, len(rest) + 1, len(first) + 1), first, rest) or [first.rstrip()]


def _pieces(parts: Iterable[Part]) -> list[list[str] | Block]:
    pieces: list[list[str] | Block] = []
    for part in parts:
        if isinstance(part, Block):
            pieces.append(part)
        elif pieces and isinstance(pieces[-1], list):
            pieces[-1].append(part)
        else:
            pieces.append([part])
    return pieces


def _flow(parts: Iterable[Part], width: int | None, first: str, rest: str, compact: bool) -> list[str]:
    """Lay out a sequence of parts: inline runs are wrapped, blocks laid out in turn."""
    lines: list[str] = []
    previous_tight = False
    for piece in _pieces(parts):
        if isinstance(piece, Block):
            produced, tight = _block_lines(piece, width, first if not lines else rest, rest), piece.tight
        else:
            produced, tight = [], False
            for segment in _run_text(piece):
                produced += _wrap(segment, width, first if not (lines or produced) else rest, rest)
        if not produced:
            continue
        if lines and not compact and not (previous_tight and tight):
            lines.append("")
        lines += produced
        previous_tight = tight
    return lines


def _block_lines(block: Block, width: int | None, first: str, rest: str) -> list[str]:
    first, rest_inner = first + block.prefix, rest + block.indent
    if block.kind == "table":
        lines = _table_lines(block, width, first, rest_inner)
    else:
        lines = _flow(block.parts, width, first, rest_inner, block.compact)
    if not lines and block.prefix:
        lines = [first.rstrip()]  # an empty list item keeps its bullet: the item exists
    if lines and block.underline:
        lines.append(rest + block.underline * max(len(line) - len(rest) for line in lines))
    return lines


def _cell_text(cell: Part) -> str:
    parts = cell.parts if isinstance(cell, Block) else (cell,)
    return " ".join(_flow(parts, None, "", "", True)).strip()


def _table_lines(block: Block, width: int | None, first: str, rest: str) -> list[str]:
    captions: list[Part] = []
    rows: list[list[str]] = []
    for part in block.parts:
        if isinstance(part, Block) and part.kind == "row":
            cells = [p for p in part.parts if isinstance(p, Block)]
            loose = [p for p in part.parts if not isinstance(p, Block)]
            texts = [_cell_text(cell) for cell in cells]
            if _run_text(loose):
                texts.insert(0, " ".join(_run_text(loose)))
            rows.append(texts)
        else:
            captions.append(part)
    lines = _flow(captions, width, first, rest, True)
    columns = max((len(row) for row in rows), default=0)
    widths = [max((len(row[i]) for row in rows if i < len(row)), default=0) for i in range(columns)]
    aligned = sum(widths) + 2 * max(columns - 1, 0) + len(rest)
    # columns before the last one, padded; the last one wraps under itself when it is long
    before = sum(widths[:-1]) + 2 * max(columns - 1, 0) + len(rest)
    for row in rows:
        lead = first if not lines else rest
        if width is None or aligned <= width:
            text = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
            lines.append((lead + text).rstrip())
        elif columns > 1 and before + MIN_WIDTH <= width:
            padded = "".join(cell.ljust(widths[i]) + "  " for i, cell in enumerate(row[:columns - 1]))
            padded = padded.ljust(before - len(rest))
            last = row[columns - 1] if len(row) >= columns else ""
            lines += _wrap(last, width, lead + padded, " " * before) if last else [(lead + padded).rstrip()]
        else:
            lines += _wrap(" | ".join(row), width, lead, rest)
    return lines


def layout(fragment: Iterable[Part], width: int | None = DEFAULT_WIDTH) -> str:
    """A fragment as text: wrapped at ``width`` (None: one line per paragraph), no trailing newline."""
    lines = [line.rstrip() for line in _flow(fragment, width, "", "", False)]
    text = "\n".join(lines)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


# -- the writer -----------------------------------------------------------------

@dataclass
class _Note:
    marker: str
    parts: Fragment


@register_writer
class TextWriter(Writer[Fragment]):
    """Plain UTF-8 text, one file per unit (see the module docstring for the layout)."""

    name: ClassVar[str] = "text"
    format: ClassVar[str] = "text"
    suffix: ClassVar[str] = ".txt"
    outputs: ClassVar[tuple[str, ...]] = ("text",)

    # -- whole outputs --------------------------------------------------------
    def write_unit(self, document: Document, unit: etree._Element, options: Mapping[str, Any]) -> UnitResult:
        """Render ``unit`` (a document division, a ``text``, any element) as ``<name>.txt``."""
        planned = as_record(options)
        settings = planned.options
        width = _width(settings.get("width", DEFAULT_WIDTH))
        renderer = Renderer(self, document, self.behaviours, options=planned, unit=unit)
        with _deep_enough():
            # page breaks printed just before the unit belong to it (the stage says which)
            before = renderer.decisions.breaks_before(unit)
            fragment = _with_notes(renderer.ctx, lambda: [
                *(part for pb in before for part in renderer.render(pb)), *renderer.render(unit)], "Notes")
            text = layout(fragment, width)
        ref = document.ref_of(unit)
        base = planned.basename or ref or Path(document.path).stem or "text"
        name = safe_name(str(base), default="text")
        record = {"format": self.format, "file": f"{name}{self.suffix}", "ref": ref,
                  "title": _title(document, unit, bool(settings.get("diplomatic"))),
                  "notes": renderer.ctx.state.get("note_count", 0), "lines": text.count("\n") + 1}
        return UnitResult(files={f"{name}{self.suffix}": (text + "\n").encode("utf-8")},
                          record=record, diagnostics=list(renderer.diagnostics()))

    # -- text and assembly ----------------------------------------------------
    def text(self, ctx: Context, value: str) -> Fragment:
        return [_space(value)]

    def join(self, ctx: Context, fragments: list[Fragment]) -> Fragment:
        joined: Fragment = []
        for fragment in fragments:
            joined += fragment
        return joined

    # -- the vocabulary -------------------------------------------------------
    def document(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        # Notes are numbered and printed per document, as in the printed volume.
        return [_block("division", _with_notes(ctx, content, "Notes"))]

    def block(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        classes = set(model.classes) | set((node.get("rend") or "").split())
        if classes & _LINE_CLASSES:
            return [_block("line", content(), tight=True)]
        if classes & _GROUP_CLASSES:
            return [_block("group", content(), tight=True, compact=True)]
        return [_block("division", content())]

    def heading(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        level = ctx.decisions.heading_level(node)
        if level is None:  # a caption (of a list, table, figure…)
            return [_block("line", content(), tight=True)]
        if ctx.option("plain"):
            return [_block("heading", content())]
        return [_block("heading", content(), underline="=" if level <= 1 else "-")]

    def paragraph(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return [_block("para", content())]

    def inline(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return content()

    def list(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        parts: Fragment = []
        label: Block | None = None
        loose: Fragment = []  # text between the items: XML layout, or words out of place (kept as a line)
        for part in content():
            if not isinstance(part, Block):
                loose.append(part)
                continue
            if _has_text(loose):
                parts.append(_block("item", loose, tight=True))
            loose = []
            if part.kind == "label":
                if label is not None:
                    parts.append(_block("item", label.parts, tight=True))
                label = part
            elif part.kind == "item" and label is not None:
                parts.append(_labelled(label, part))
                label = None
            else:
                parts.append(part)
        if _has_text(loose):
            parts.append(_block("item", loose, tight=True))
        if label is not None:
            parts.append(_block("item", label.parts, tight=True))
        return [_block("list", parts, compact=True)]

    def item(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        marker = _item_marker(node)
        return [_block("item", content(), prefix=marker, indent=" " * len(marker), tight=True, compact=True)]

    def label(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        parent = node.getparent()
        if parent is not None and parent.tag in (tei("list"), tei("listBibl")):
            return [_block("label", content(), tight=True)]
        return content()

    def table(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return [_block("table", content())]

    def row(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return [_block("row", content(), tight=True)]

    def cell(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return [_block("cell", content(), compact=True)]

    def note(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        notes: list[_Note] | None = ctx.state.get("notes")
        if notes is None:
            return []  # plain passage text (citations): notes are not part of the quoted passage
        entry = _Note(f"[{ctx.decisions.note(node).label}]", [])
        notes.append(entry)  # before its content: a note inside this note comes after it
        ctx.state["note_count"] = ctx.state.get("note_count", 0) + 1
        entry.parts = content()
        return [_Call(entry.marker)]

    def page_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        joined = ctx.decisions.is_joined(node)
        if not ctx.option("pages"):
            return [] if joined else [" "]
        number = _space(node.get("n") or "").strip()
        marker = f"[Page {number}]" if number else "[Page]"
        return [marker] if joined else [f" {marker} "]

    def line_break(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return [] if ctx.decisions.is_joined(node) else [HARD_BREAK]

    def link(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        parts = content()
        targets = (node.get("target") or "").split()
        if not _has_text(parts):
            # an empty link (ptr): the target is all there is to show
            shown = [_target_text(ctx.document, target) for target in targets]
            return [" ".join(s for s in shown if s)] if any(shown) else parts
        external = [f"<{t}>" for t in targets if _EXTERNAL.match(t)]
        if external and not ctx.option("plain"):
            parts = parts + [" " + " ".join(external)]
        return parts

    def alternate(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        alternate = ctx.decisions.alternate(node)
        shown = alternate.shown(bool(ctx.option("diplomatic")))
        parts = content.of(shown) if shown else content()
        if alternate.note is not None:
            parts = parts + content.of(alternate.note)  # the apparatus: a note like any other
        return parts

    def quote(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return content()  # the quotation marks are the source's own text

    def entity(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        return content()

    def date(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        parts = content()
        if not content.plain():
            value = node.get("when") or node.get("from") or node.get("notBefore") or ""
            return [value] if value else parts
        return parts

    def figure(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        if local_name(node) == "graphic":
            parent = node.getparent()
            if parent is not None and parent.tag == tei("figure"):
                return []  # the figure shows the marker; a graphic has no text of its own
            return [_block("para", ["[Figure", *(_described(content, node)), "]"])]
        described = [c for c in node if c.tag in (tei("head"), tei("figDesc"))]
        others = [c for c in node
                  if isinstance(c.tag, str) and c not in described and c.tag != tei("graphic")]
        parts: Fragment = []
        for child in described:
            parts += _inline(content.of(child))
        marker = _block("para", ["[Figure: ", *parts, "]"] if _has_text(parts) else ["[Figure]"], tight=True)
        # text standing in the figure itself is not TEI (a figure holds elements), but it is kept
        loose = [_space(text).strip() for text in (node.text, *(child.tail for child in node)) if text and text.strip()]
        kept = [_block("para", [" ".join(loose)])] if loose else []
        return [_block("division", [marker, *kept, *(content.of(others) if others else [])])]

    def gap(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        described = content()  # a desc of what is missing, shown as the print edition shows it
        return ["[", *described, "]"] if _has_text(described) else ["[…]"]

    def metadata(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        # Plain text has no place for the header: the table routes teiHeader to
        # omit for this output; this method exists for tables that do not.
        return []

    def fallback(self, ctx: Context, node: etree._Element, model: Model, content: Content) -> Fragment:
        # The content is kept (never dropped); the Renderer reports W0301.
        return content()


# -- helpers ----------------------------------------------------------------------

@contextmanager
def _deep_enough() -> Iterator[None]:
    """Room for the deepest tree the parser accepts, for the time of one rendering."""
    previous = sys.getrecursionlimit()
    if previous < _RECURSION_LIMIT:
        sys.setrecursionlimit(_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def _width(value: Any) -> int | None:
    if value is None:
        return None
    try:
        width = int(value)
    except (TypeError, ValueError):
        raise EditionUsageError.at(
            "E0901", f"the text width must be a whole number of columns, not {value!r}") from None
    if width < MIN_WIDTH:
        raise EditionUsageError.at(
            "E0901", f"the text width {width} is too narrow; use at least {MIN_WIDTH} columns")
    return width


def _with_notes(ctx: Context, render: Any, heading: str) -> Fragment:
    """Render with a fresh note list and numbering; the notes follow as endnotes."""
    if ctx.option("plain") and not ctx.option("notes"):
        return render()
    saved = ctx.state.get("notes")
    ctx.state["notes"] = []
    try:
        parts = render()
        notes: list[_Note] = ctx.state["notes"]
    finally:
        ctx.state["notes"] = saved
    if not notes:
        return parts
    endnotes = [_block("heading", [heading], underline="" if ctx.option("plain") else "-")]
    endnotes += [_block("note", note.parts, prefix=note.marker + " ") for note in notes]
    return parts + [_block("notes", endnotes)]


def _has_text(parts: Fragment) -> bool:
    return any(_has_text(list(p.parts)) if isinstance(p, Block) else bool(_space(p).strip()) for p in parts)


def _inline(parts: Fragment) -> Fragment:
    """Flatten blocks into inline text (a figure description inside brackets)."""
    flat: Fragment = []
    for part in parts:
        flat += _inline(list(part.parts)) + [" "] if isinstance(part, Block) else [part]
    return flat


def _described(content: Content, node: etree._Element) -> Fragment:
    descriptions = [c for c in node if c.tag == tei("desc")]
    return [": ", *_inline(content.of(descriptions))] if descriptions else []


def _labelled(label: Block, item: Block) -> Block:
    text = " ".join(_run_text([p for p in label.parts if isinstance(p, str)]))
    separator = " " if not text or text[-1] in ".:)–—-" else ": "
    return Block("item", label.parts + (separator,) + item.parts, item.prefix, item.indent, True, True)


def _item_marker(item: etree._Element) -> str:
    parent = item.getparent()
    if parent is None:
        return "• "
    kind = (parent.get("type") or "").lower()
    rend = set((parent.get("rend") or "").lower().split())
    if kind in _NUMBERED or rend & _NUMBERED:
        n = item.get("n")
        if not n:
            n = str(1 + sum(1 for sibling in item.itersiblings(preceding=True) if sibling.tag == item.tag))
        return f"{_space(n).strip()}. "
    if kind in _UNBULLETED or rend & {"none", "simple", "inline", "right"}:
        return ""
    return "• "


def _target_text(document: Document, target: str) -> str:
    if target.startswith("#"):
        element = document.ids.get(target[1:])
        ref = document.ref_of(element) if element is not None else ""
        return f"[{ref or target[1:]}]"
    return f"<{target}>"


def _title(document: Document, unit: etree._Element, diplomatic: bool) -> str:
    head = unit.find(tei("head"))
    if head is None:
        return ""
    return plain(document, head, None, diplomatic)


def plain(document: Document, element: etree._Element, width: int | None = None,
          diplomatic: bool = False, *, notes: bool = False, pages: bool = False) -> str:
    """The rendered text of any element: the passage of ``edition cite d300.p4``.

    ``width=None`` gives one line per paragraph.  Notes are left out unless
    ``notes=True`` (then they follow as endnotes); headings are not underlined.
    """
    writer = TextWriter()
    options = {"plain": True, "notes": notes, "diplomatic": diplomatic, "pages": pages}
    renderer = Renderer(writer, document, writer.behaviours, options=options, unit=element)
    with _deep_enough():
        fragment = _with_notes(renderer.ctx, lambda: renderer.render(element), "Notes")
        return layout(fragment, _width(width))
