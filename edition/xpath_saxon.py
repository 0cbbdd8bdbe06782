"""The Saxon engine: XPath 3.1 evaluated by saxonche (SaxonC-HE), nodes mapped back to lxml.

Saxon evaluates the expression on its own tree of the document (its
TinyTree, parsed from the file itself when lxml's tree is the file's, else
from the lxml tree's serialization, so both trees hold the same nodes);
every node of the result is mapped back to the lxml node it came from,
which has the line, column, XPath and canonical reference a hit needs.  One
wrapper expression returns, with the items, one line per item naming its
node by ``generate-id()``, so a result of 5,000 nodes costs one call into
Saxon, not 5,000.  The names are paired with lxml's nodes once per document,
and only when a result holds a node: both trees hold the same elements,
comments and processing instructions in the same order (27,000 of a FRUS
volume: about 25 ms), and a text node is found from its parent and the
sibling before it.  A result of values (``count()``, strings) maps nothing.

The wrapper also bounds the result: ``subsequence(EXPR, 1, limit + 1)`` is
evaluated lazily by Saxon, so ``1 to 10000000`` under a limit of 100,000
produces 100,001 items, not ten million.
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from lxml import etree

from .document import TEI_NS, Document
from .query_values import ArrayValue, Atomic, MapValue, NodeValue

__all__ = ["available", "SaxonError", "SaxonExpression"]

try:  # saxonche is a run-time dependency; without it the elementpath engine answers
    import saxonche
except ImportError:  # pragma: no cover - exercised only on installs without saxonche
    saxonche = None


#: SaxonC is a GraalVM native image that reserves about 32 GiB of address space for its heap when
#: it starts; under a smaller limit (``ulimit -v``, a memory-capped sandbox) it cannot start and
#: ends the whole process ("graal_create_isolate error"), so the elementpath engine answers there.
ADDRESS_SPACE_NEEDED = 40 * 1024**3


def available() -> bool:
    """Saxon is installed and can start in this process."""
    if saxonche is None:
        return False
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        return True
    return soft == resource.RLIM_INFINITY or soft >= ADDRESS_SPACE_NEEDED


class SaxonError(Exception):
    """Saxon refused or failed the expression; ``static`` when it did so before evaluating."""

    def __init__(self, message: str, static: bool, document: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.static = static
        self.document = document  # the document, not the expression: another engine can answer


_LOCK = threading.Lock()
_PROCESSOR: Any = None


def _processor() -> Any:
    global _PROCESSOR
    if _PROCESSOR is None:
        import _locale  # locale.setlocale's own core, without the locale module's import (0.002 s)

        # Saxon's start-up sets LC_COLLATE to C.UTF-8, which Python reads back as
        # en_US.UTF-8 (not installed here): elementpath's collations then fail to restore it
        saved = _locale.setlocale(_locale.LC_COLLATE)
        _PROCESSOR = saxonche.PySaxonProcessor(license=False)
        _locale.setlocale(_locale.LC_COLLATE, saved)
    return _PROCESSOR


@contextmanager
def _quiet() -> Iterator[None]:
    """Saxon writes its warnings and error reports to the process's stderr itself; our
    diagnostics say the same in our form, so its copy goes to /dev/null meanwhile."""
    try:
        saved = os.dup(2)
    except OSError:  # pragma: no cover - no stderr at all
        yield
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _message(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# -- the document, twice -------------------------------------------------------

class _Tree:
    """A document as Saxon's tree, with the lxml node of each Saxon node."""

    def __init__(self, document: Document) -> None:
        tree = document.tree
        root = tree.getroot()
        prolog = list(reversed(list(root.itersiblings(preceding=True))))
        epilog = list(root.itersiblings())
        self.top = (*prolog, root, *epilog)
        self.tree = tree
        self._ids: dict[str, etree._Element] | None = None
        self._order: list[etree._Element] = []
        self._position: dict[int, int] | None = None
        self._nodes: Any = None
        self._namer: Any = None
        self._pather: Any = None
        self._counted = False
        self.pathed = False
        self.xdm: Any = None
        file = _plain_file(document)
        if file is not None:
            # Saxon reads the file itself: twice as fast as from a string; that both trees hold
            # the same nodes is checked when the first node is mapped (:meth:`ids`)
            with _quiet(), contextlib.suppress(saxonche.PySaxonApiError):
                self.xdm = _processor().parse_xml(xml_file_name=file)
        if self.xdm is None:
            self._parse_serialization()

    def _parse_serialization(self) -> None:
        # the lxml tree's own serialization: no DOCTYPE (so no entity Saxon would expand
        # that lxml kept unexpanded), the same nodes as lxml holds
        text = "".join(etree.tostring(node, encoding="unicode", with_tail=False) for node in self.top)
        with _quiet():
            try:
                self.xdm = _processor().parse_xml(xml_text=text)
            except saxonche.PySaxonApiError as error:
                raise SaxonError(f"Saxon cannot read this document: {_message(error)}", static=False,
                                 document=True) from None
        self.from_file = False
        self._namer = None
        self._pather = None
        self._counted = False

    from_file = True

    def ids(self) -> dict[str, etree._Element] | None:
        """The lxml element, comment or PI of each Saxon ``generate-id()``, paired once: both
        trees hold these nodes in the same document order, so the n-th of one is the n-th of
        the other (text nodes are found from their neighbours).  None when Saxon's tree of the
        file turns out not to be lxml's (the file changed since…): Saxon then holds lxml's
        serialization instead, and what was evaluated must be evaluated again."""
        if self._ids is not None:
            return self._ids
        probe = _processor().new_xpath_processor()
        probe.set_context(xdm_item=self.xdm)
        found = probe.evaluate_single("string-join(/descendant::node()[not(self::text())] ! generate-id(.), ' ')")
        ids = str(found.string_value).split(" ") if found is not None else []
        order = [node for top in self.top for node in top.iter()]
        if len(ids) != len(order):
            if self.from_file:
                self._parse_serialization()
                return None
            raise SaxonError(f"Saxon's tree of this document has {len(ids)} elements, comments and processing "
                             f"instructions, and lxml's {len(order)}", static=False, document=True)
        self._order = order  # keeps the proxies alive: _position is keyed by their id()
        self._ids = dict(zip(ids, order, strict=True))
        return self._ids

    def by_path(self, result: Any) -> tuple[list[str], dict[str, Any]] | None:
        """The lines of :data:`_PATHS` for the items of a wrapper's result, and the lxml node of
        each path they name: for a few nodes, far cheaper than pairing every node (:meth:`ids`,
        0.1 s on a FRUS volume).  None when the trees do not hold the same nodes (as :meth:`ids`)."""
        with _LOCK:
            if self._pather is None:
                self._pather = _processor().new_xpath_processor()
            self._pather.set_context(xdm_item=self.xdm)
            self._pather.set_parameter("r", result)
            found = self._pather.evaluate_single(_PATHS.replace("@COUNT@", "" if self._counted else _COUNT))
            self._pather.clear_parameters()
        lines = str(found.string_value if found is not None else "").split("\n")
        if not self._counted:
            if int(lines.pop(0)) != sum(1 for top in self.top for _ in top.iter()):
                return None
            self._counted = True
        nodes: dict[str, Any] = {}
        for line in lines:
            kind = line[:1]
            if kind == "E":
                paths = [line[1:]]
            elif kind == "T":  # its parent and the sibling before it
                paths = line[1:].split(" ")
            elif kind == "A":  # its owner
                paths = [line[1:].partition(" ")[0]]
            else:
                continue
            for path in paths:
                if path and path not in nodes:
                    node = self._at(path)
                    if node is None:
                        return None
                    nodes[path] = node
        return lines, nodes

    def _at(self, path: str) -> Any:
        """The lxml node at a path of :data:`_PATHS` (None: not in lxml's tree)."""
        steps = path.split(".")
        try:
            node: Any = self.top[int(steps[0])]
            for step in steps[1:]:
                node = node[int(step)]
        except (IndexError, ValueError):
            return None
        return node

    def names(self, result: Any) -> list[str]:
        """The lines of :data:`_NAMES` for the items of a wrapper's result."""
        with _LOCK:
            if self._namer is None:
                self._namer = _processor().new_xpath_processor()
            self._namer.set_context(xdm_item=self.xdm)  # clear_parameters() clears it too
            self._namer.set_parameter("r", result)
            found = self._namer.evaluate_single(_NAMES)
            self._namer.clear_parameters()
        return str(found.string_value if found is not None else "").split("\n")

    def node(self, element: etree._Element) -> Any:
        """Saxon's node for an lxml element (the context of a per-hit expression)."""
        if self._position is None:
            if self.ids() is None:
                self.ids()
            probe = _processor().new_xpath_processor()
            probe.set_context(xdm_item=self.xdm)
            self._nodes = probe.evaluate("/descendant::node()[not(self::text())]")
            self._position = {id(node): n for n, node in enumerate(self._order)}
        return self._nodes.item_at(self._position[id(element)])


def _plain_file(document: Document) -> str | None:
    """The file a large document was read from, when Saxon may read it itself: unchanged since,
    no DOCTYPE (no DTD to fetch, no entity to expand), nothing included into lxml's tree and
    not TEI P4 (lxml's tree is its P5 reading, W0012)."""
    origin = document._origin
    if origin is None or document.origins or document.tree.docinfo.doctype:
        return None
    if any(problem.code == "W0012" for problem in document.problems):
        return None
    file, *identity = origin
    try:
        info = os.stat(file)
    except OSError:
        return None
    if [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns] != identity:
        return None
    return str(file)


class _Refused:
    """Documents Saxon cannot hold as lxml does (an unexpanded entity…): another engine answers.
    A flag in the document's cache (``query.saxon_refused``), so it lives and dies with it."""

    def __contains__(self, document: object) -> bool:
        return isinstance(document, Document) and "query.saxon_refused" in document.cache

    def add(self, document: Document) -> None:
        document.cache["query.saxon_refused"] = True


REFUSED = _Refused()


def saxon_tree(document: Document) -> _Tree:
    """The document as Saxon's tree: made on the first query, then kept in its cache (``query.saxon``)."""
    tree: _Tree | None = document.cache.get("query.saxon")
    if tree is None:
        tree = document.cache["query.saxon"] = _Tree(document)
    return tree


# -- compiled expressions --------------------------------------------------------

_V = "$Q{urn:x-edition}"
# One line per item: a string's value escaped (S, or U for xs:untypedAtomic: backslash and
# newline as \\ and \n); a text node by its parent and the sibling before it (T) and an
# attribute by its owner, namespace and name (A); N and the generate-id()
# of any other node (enough for an element, comment or PI of the document; the rest is named
# by :data:`_NAMES`); else empty (the item itself is read from the result, one call into Saxon each).
_WRAPPER = (
    "let $V:r := subsequence((\n@EXPRESSION@\n), 1, @LIMIT@) return "
    "(string-join(for $V:i in $V:r return "
    "if ($V:i instance of text()) then 'T' || generate-id($V:i/..) || ' ' "
    "|| generate-id($V:i/preceding-sibling::node()[1]) "
    "else if ($V:i instance of attribute()) then 'A' || generate-id($V:i/..) || ' ' "
    "|| namespace-uri($V:i) || ' ' || local-name($V:i) "
    "else if ($V:i instance of node()) then 'N' || generate-id($V:i) "
    "else if ($V:i instance of xs:string or $V:i instance of xs:untypedAtomic) then "
    "(if ($V:i instance of xs:string) then 'S' else 'U') "
    "|| (if (contains($V:i, '\\') or contains($V:i, codepoints-to-string(10))) then "
    "replace(replace($V:i, '\\\\', '\\\\\\\\'), '\\n', '\\\\n') else $V:i) "
    "else '', codepoints-to-string(10)), $V:r)").replace("$V:", _V)
# A wrapper's line for a node (an empty string is not in it).
_NODE_LINES = ("N", "T", "A")
# The nodes of a result ($r: the wrapper's, its first item the lines) that the wrapper named N,
# by their kind and generate-id(): E an element, comment or PI; D the document node; empty for a
# node of another tree or a namespace node (read as a value), and for a text node or attribute
# (the wrapper names those itself: their lines are not replaced).
_NAMES = (
    "let $d := root() return string-join(subsequence($r, 2) ! ("
    "if (not(. instance of node())) then '' "
    "else if (not(root(.) is $d)) then '' "
    "else if (. instance of attribute() or . instance of text()) then '' "
    "else if (. instance of document-node()) then 'D' "
    "else if (. instance of namespace-node()) then '' "
    "else 'E' || generate-id(.)), codepoints-to-string(10))")
# The same, a node of the document named by its path instead of its generate-id(): the position
# among its parent's children that are not text nodes (lxml's children: elements, comments, PIs)
# of it and of each ancestor, so that a few nodes are found in lxml's tree without pairing all
# (:meth:`_Tree.by_path`); first, once per tree, the number of those nodes (as :meth:`_Tree.ids`).
_PATHS = (
    "let $d := root(), $p := function($n as node()?) as xs:string { string-join("
    "$n/ancestor-or-self::node()[parent::node()] ! string(count(preceding-sibling::node()[not(self::text())])), "
    "'.') } return string-join((@COUNT@subsequence($r, 2) ! ("
    "if (not(. instance of node())) then '' "
    "else if (not(root(.) is $d)) then '' "
    "else if (. instance of attribute()) then "
    "'A' || $p(..) || ' ' || namespace-uri(.) || ' ' || local-name(.) "
    "else if (. instance of text()) then 'T' || $p(..) || ' ' || $p(preceding-sibling::node()[1]) "
    "else if (. instance of document-node()) then 'D' "
    "else if (. instance of namespace-node()) then '' "
    "else 'E' || $p(.))), codepoints-to-string(10))")
_COUNT = "string(count($d/descendant::node()[not(self::text())])), "
#: Result nodes up to which :meth:`_Tree.by_path` finds them (beyond, :meth:`_Tree.ids` pairs all).
FEW_NODES = 64
# never true, and (unlike false()) not folded away by Saxon's optimiser, whose analysis of a
# dead branch took 58 s on a sum of 20,001 terms where parsing and typing take 0.1 s
_STATIC = "if (current-date() lt xs:date('1900-01-01')) then (\n@EXPRESSION@\n) else ()"
_XS = "Q{http://www.w3.org/2001/XMLSchema}"
_STANDARD_PREFIXES = {"map": "http://www.w3.org/2005/xpath-functions/map",
                      "array": "http://www.w3.org/2005/xpath-functions/array",
                      "math": "http://www.w3.org/2005/xpath-functions/math"}


# The wrapper compiled once, as the one template of a stylesheet: saxonche compiles an XPath
# expression at every evaluate() (0.25 ms for the wrapper, most of a small query's time), but
# keeps a compiled stylesheet (1 ms to compile, 0.06 ms a call).  The expression inside is the
# same XPath 3.1 text, evaluated with the same namespaces, variables and focus (the document or
# a hit, position and size 1); only what the static context names differs, and an expression
# that reads it (_STATIC_CONTEXT) keeps the XPath route.
_XSL = "http://www.w3.org/1999/XSL/Transform"
_STYLESHEET = ('<edition-xsl:stylesheet version="3.0" xmlns:edition-xsl="' + _XSL + '" '
               '@NAMESPACES@ xpath-default-namespace="' + TEI_NS + '">'
               '<edition-xsl:global-context-item use="optional"/>@PARAMS@'
               '<edition-xsl:template name="run"><edition-xsl:sequence select=@SELECT@/>'
               '</edition-xsl:template></edition-xsl:stylesheet>')
# the static base URI (a stylesheet's is its folder, an XPath expression's is absent) and
# function-lookup() (which finds XSLT's own functions in a stylesheet)
_STATIC_CONTEXT = re.compile(r"static-base-uri|resolve-uri|function-lookup|edition-xsl")
# the prefixes saxonche's XPath processor binds itself, which a stylesheet must declare
_XPATH_OWN_PREFIXES = {"fn": "http://www.w3.org/2005/xpath-functions", "xs": "http://www.w3.org/2001/XMLSchema"}
_XPATH = object()  # "the XPath route answers"
# A dynamic error of the expression inside the stylesheet: Saxon's message for it, between where
# it happened in the stylesheet and the code, and the wrapper's frames (the XPath route's message
# is the same text without them); any other form of error is asked of the XPath route again
_STYLESHEET_ERROR = re.compile(
    r"(?:Type error|Error) on line \d+ (?:evaluating \(.*\) )?at column \d+ in expression in "
    r"edition-xsl:sequence/@select on line \d+ column \d+ of \S*: \S+ "
    r"((?:(?! During lazy evaluation of | In template run on ).)+)(?: During lazy evaluation of "
    r"fn:subsequence\(\.\.\.\) on line \d+ of \S*)?(?: In template run on line \d+ column \d+ of \S*:)+\Z",
    re.DOTALL)
# an attribute value's escapes (xml.sax.saxutils.quoteattr's, without its import of urllib: 0.03 s)
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _quoted(text: str) -> str:
    """``text`` as a double-quoted XML attribute value (whitespace kept as character references)."""
    return '"' + text.translate(_ATTRIBUTE_ESCAPES) + '"'


#: Evaluations of an expression after which it runs as a compiled stylesheet: a command's one
#: query on one file compiles nothing more; a Query called again (files of a folder, a loop) does.
COMPILE_AFTER = 1
_CONTEXT_FREE: list[Any] = []


def _context_free(processor: Any) -> Any:
    """The tree a static check runs on (parsed once: its branch is never taken)."""
    if not _CONTEXT_FREE:
        _CONTEXT_FREE.append(processor.parse_xml(xml_text="<x/>"))
    return _CONTEXT_FREE[0]


class SaxonExpression:
    """One expression compiled (checked) by Saxon for one set of namespaces and variables."""

    def __init__(self, expression: str, namespaces: Mapping[str, str], variables: Mapping[str, Any]) -> None:
        self.expression = expression
        self._namespaces = {**_XPATH_OWN_PREFIXES, **_STANDARD_PREFIXES,
                            **{prefix: uri for prefix, uri in namespaces.items() if prefix}}
        self._variables = dict(variables)
        self._evaluations = 0
        self.xpath_evaluations = 0  # of them, on the XPath route (the first; any the stylesheet cannot answer)
        # limit → the compiled stylesheet, or None where the XPath route answers
        self._executables: dict[int, Any] = {}
        with _LOCK:
            processor = _processor()
            self._xpath = processor.new_xpath_processor()
            self._xpath.declare_namespace("", TEI_NS)
            for prefix, uri in _STANDARD_PREFIXES.items():  # XPath 3.1's; saxonche binds only fn and xs
                self._xpath.declare_namespace(prefix, uri)
            for prefix, uri in namespaces.items():
                if prefix:
                    self._xpath.declare_namespace(prefix, uri)
            for name, value in variables.items():
                self._xpath.set_parameter(name, _make_value(processor, value))
            # a static check on a context-free tree: the expression is parsed and typed
            # but not evaluated (its branch is never taken)
            self._xpath.set_context(xdm_item=_context_free(processor))
            with _quiet():
                try:
                    self._xpath.evaluate(_STATIC.replace("@EXPRESSION@", expression))
                except saxonche.PySaxonApiError as error:
                    raise SaxonError(_message(error), static=True) from None

    def evaluate(self, document: Document, item: etree._Element | None, limit: int) -> list[Any]:
        """The result items: lxml nodes (text nodes as :class:`Text`), Python atomic
        values, or :mod:`edition.query_values` records; at most ``limit + 1`` of them."""
        tree = saxon_tree(document)
        result, lines = self._run(tree, item, limit)
        ids: dict[str, Any] = {}
        nodes = sum(line[:1] in _NODE_LINES for line in lines)
        if nodes and nodes <= FEW_NODES and tree._ids is None and not tree.pathed:
            # the first query on a document (a command's one query) finds its few nodes by path;
            # a document asked again (a Query called in a loop) has its nodes paired once for all
            tree.pathed = True
            located = tree.by_path(result)
            if located is not None:
                paths, ids = located
                lines = [path if line[:1] in _NODE_LINES else line for line, path in zip(lines, paths, strict=True)]
                return _items(tree, ids, result, lines)
        if nodes:
            found = tree.ids()
            if found is None:  # Saxon now holds lxml's serialization: the same question again
                result, lines = self._run(tree, item, limit)
                found = tree.ids()
            ids = found or {}
            # an element, comment or PI of the document is known by its id; other nodes are named
            lines = ["E" + line[1:] if line[:1] == "N" and line[1:] in ids else line for line in lines]
            if any(line[:1] == "N" for line in lines):
                names = tree.names(result)
                lines = [name if line[:1] == "N" else line for line, name in zip(lines, names, strict=True)]
        return _items(tree, ids, result, lines) if lines else []

    def _run(self, tree: _Tree, item: etree._Element | None, limit: int) -> tuple[Any, list[str]]:
        with _LOCK:
            context = tree.xdm if item is None else tree.node(item)
            self._evaluations += 1
            result: Any = self._run_compiled(context, limit) if self._evaluations > COMPILE_AFTER else _XPATH
            if result is _XPATH:
                self.xpath_evaluations += 1
                self._xpath.set_context(xdm_item=context)
                with _quiet():
                    try:
                        result = self._xpath.evaluate(self._wrapped(limit))
                    except saxonche.PySaxonApiError as error:
                        raise SaxonError(_message(error), static=False) from None
        if result is None or result.size <= 1:  # no items: string-join of nothing is ''
            return result, []
        return result, result.item_at(0).string_value.split("\n")

    def _wrapped(self, limit: int) -> str:
        return _WRAPPER.replace("@LIMIT@", str(limit + 1)).replace("@EXPRESSION@", self.expression)

    def _run_compiled(self, context: Any, limit: int) -> Any:
        """The wrapper's result from the compiled stylesheet; :data:`_XPATH` when the XPath route
        is to answer (no stylesheet for this expression, or an error: its message is the XPath route's)."""
        if limit not in self._executables:
            self._executables[limit] = self._compile(limit)
        executable = self._executables[limit]
        if executable is None:
            return _XPATH
        executable.set_global_context_item(xdm_item=context)
        with _quiet():
            try:
                result = executable.call_template_returning_value("run")
            except saxonche.PySaxonApiError as error:
                message = _STYLESHEET_ERROR.match(_message(error))
                if message is None:
                    return _XPATH
                raise SaxonError(message.group(1), static=False) from None
        return result

    def _compile(self, limit: int) -> Any:
        if _STATIC_CONTEXT.search(self.expression):
            return None
        declared = " ".join(f"xmlns:{prefix}={_quoted(uri)}" for prefix, uri in self._namespaces.items())
        params = "".join(f"<edition-xsl:param name={_quoted(name)}/>" for name in self._variables)
        sheet = (_STYLESHEET.replace("@NAMESPACES@", declared).replace("@PARAMS@", params)
                 .replace("@SELECT@", _quoted(self._wrapped(limit))))
        processor = _processor()
        with _quiet():
            try:
                executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_text=sheet)
            except saxonche.PySaxonApiError:
                return None
        executable.set_result_as_raw_value(True)
        for name, value in self._variables.items():
            executable.set_parameter(name, _make_value(processor, value))
        return executable


class Text:
    """A text node of the lxml tree: its parent and the child whose tail it is (None: parent.text)."""

    __slots__ = ("parent", "before")

    def __init__(self, parent: etree._Element, before: etree._Element | None) -> None:
        self.parent, self.before = parent, before

    @property
    def value(self) -> str:
        return (self.before.tail if self.before is not None else self.parent.text) or ""


def _items(tree: _Tree, ids: dict[str, Any], result: Any, lines: list[str]) -> list[Any]:
    items: list[Any] = []
    append = items.append
    for position, line in enumerate(lines, start=1):
        kind = line[:1]
        if kind == "S" or kind == "U":  # a string, escaped
            text = line[1:]
            if "\\" in text:
                text = _ESCAPED.sub(_unescape, text)
            append(text if kind == "S" else Atomic("xs:untypedAtomic", text))
            continue
        node = _node(tree, ids, kind, line) if kind else None
        append(node if node is not None else _convert(result.item_at(position)))
    return items


def _node(tree: _Tree, ids: dict[str, Any], kind: str, line: str) -> Any:
    """The lxml node a wrapper line names (None: not found; the item is then converted)."""
    if kind == "E":
        return ids.get(line[1:])
    if kind == "A":  # an attribute: its owner, namespace URI, local name
        owner_id, uri, local = line[1:].split(" ", 2)
        owner = ids.get(owner_id)
        return Attribute(owner, f"{{{uri}}}{local}" if uri else local) if owner is not None else None
    if kind == "T":  # a text node: its parent, and the sibling before it (none: the parent's text)
        parent_id, _, before_id = line[1:].partition(" ")
        parent = ids.get(parent_id)
        before = ids.get(before_id) if before_id else None
        if parent is None or (before_id and before is None):
            return None
        return Text(parent, before)
    if kind == "D":
        return tree.tree
    return None


_ESCAPED = re.compile(r"\\(.)")


def _unescape(match: re.Match[str]) -> str:
    return "\n" if match.group(1) == "n" else match.group(1)


class Attribute:
    """An attribute node of the lxml tree: its owner element and Clark name."""

    __slots__ = ("owner", "name")

    def __init__(self, owner: etree._Element, name: str) -> None:
        self.owner, self.name = owner, name

    @property
    def value(self) -> str:
        return self.owner.get(self.name) or ""


def _convert(item: Any) -> Any:
    """A Saxon item (not a node of the document) as a Python value."""
    if item.is_atomic:
        atomic = item.get_atomic_value() if not isinstance(item, saxonche.PyXdmAtomicValue) else item
        kind = str(atomic.primitive_type_name)
        text = str(atomic.string_value)
        if kind.startswith(_XS):
            kind = "xs:" + kind[len(_XS):]
        if kind == "xs:integer":
            return int(text)
        if kind == "xs:decimal":
            from decimal import Decimal

            return Decimal(text)
        if kind == "xs:boolean":
            return text == "true"
        if kind == "xs:string":
            return text
        if kind in ("xs:double", "xs:float"):
            return Atomic(kind, text, float(atomic.double_value))
        return Atomic(kind, text)
    if item.is_map:
        mapping = item.get_map_value() if not isinstance(item, saxonche.PyXdmMap) else item
        entries = tuple((_convert(key), _sequence(mapping.get(key))) for key in mapping.keys())  # noqa: SIM118 - a PyXdmMap
        return MapValue(entries)
    if item.is_array:
        array = item.get_array_value() if not isinstance(item, saxonche.PyXdmArray) else item
        return ArrayValue(tuple(_sequence(member) for member in array.as_list()))
    if item.is_node:
        node = item.get_node_value() if not isinstance(item, saxonche.PyXdmNode) else item
        kind = str(node.node_kind_str)
        markup = str(node) if kind in ("element", "document") else str(node.string_value)
        return NodeValue(kind, str(node.string_value), markup)
    return Atomic("function", " ".join(str(item).split()))


def _sequence(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(_convert(value.item_at(i)) for i in range(value.size))


def _make_value(processor: Any, value: Any) -> Any:
    if isinstance(value, bool):
        return processor.make_boolean_value(value)
    if isinstance(value, int):
        return processor.make_integer_value(value)
    if isinstance(value, float):
        return processor.make_double_value(value)
    return processor.make_string_value(str(value))
