"""XPath 3.1 lookup over TEI documents, every hit with a location to cite.

A :class:`Query` is compiled once and called on many documents (the lxml
``etree.XPath`` pattern)::

    persons = Query("//text//persName")
    for hit in persons(load("tei/frus1958-60v19-d300.xml")):
        print(hit.ref, hit.value)           # d300, Cumming ...

The language is XPath 3.1 with the TEI namespace as the default element
namespace, so ``//persName`` means ``//tei:persName``; the prefixes ``tei``
and ``xml``, any given with ``namespaces=`` and those declared on a
document's root element are bound.

Engines (``engine=``): ``saxon`` (Saxon-HE through saxonche: XPath 3.1 at
native speed, nodes mapped back to lxml for their locations; see
:mod:`edition.xpath_saxon`), ``elementpath`` (pure Python, with its known
defects mended: :mod:`edition.xpath_elementpath`) and ``lxml`` (XPath 1.0
with 1.0's meaning, only when asked for: :mod:`edition.xpath_lxml`).
``auto`` is Saxon when saxonche is installed, else elementpath: the choice
never depends on the expression, so it never changes an answer.

Every query is bounded (:mod:`edition.query_guard`): functions that reach
outside the inputs are refused unless allowed, results are cut at ``limit``
items (E0504), and an engine's exhaustion (recursion, memory) is an error,
never a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict
from typing import Any, NamedTuple

from lxml import etree

from . import query_guard
from .diagnostics import Diagnostic, EditionQueryError, EditionUsageError
from .document import NAMESPACES, Document
from .query_errors import (
    RESOURCE_WORDS,
    QueryBudgetError,
    QueryEvaluationError,
    QueryRefusedError,
    QuerySyntaxError,
    _elementpath_syntax_error,
    _saxon_syntax_error,
)
from .query_hits import FileResult, Hit, _Locator, string_value
from .query_output import CSV_FIELDS, FORMATS, kwic, kwic_line, text_line, xml_hit

__all__ = ["Hit", "Query", "QuerySyntaxError", "QueryEvaluationError", "QueryBudgetError", "QueryRefusedError",
           "ENGINES", "FORMATS", "CSV_FIELDS", "Plan", "FileResult", "run_document", "run_files", "string_value",
           "text_line", "xml_hit", "kwic", "kwic_line", "parse_bindings", "default_engine", "watch_query"]

ENGINES = ("auto", "saxon", "elementpath", "lxml")


def default_engine() -> str:
    from . import xpath_saxon
    return "saxon" if xpath_saxon.available() else "elementpath"


# -- compiling -----------------------------------------------------------------------------

class _Compiled:
    """One expression compiled for one engine and one set of namespaces."""

    def __init__(self, expression: str, namespaces: Mapping[str, str], variables: Mapping[str, Any],
                 engine: str) -> None:
        self.expression = expression
        self.namespaces = dict(namespaces)
        self.variables = dict(variables)
        self.engine = engine
        self.saxon: Any = None
        self.token: Any = None
        self.lxml: etree.XPath | None = None
        self.result_kind = ""
        if engine == "saxon":
            from .xpath_saxon import SaxonError, SaxonExpression
            try:
                self.saxon = SaxonExpression(expression, namespaces, variables)
            except SaxonError as error:
                if "prefix" in error.message and "declared" in error.message:
                    raise _Unresolved(error.message) from None
                if any(word in error.message for word in RESOURCE_WORDS):
                    raise QueryBudgetError.at("E0504", f"the expression is beyond Saxon's limits: {error.message}",
                                              path="<expression>", line=1, column=1) from None
                raise _saxon_syntax_error(expression, error.message) from None
        elif engine == "elementpath":
            self._compile_elementpath()
        else:
            from .xpath_lxml import compile_lxml
            try:
                self.lxml, self.result_kind = compile_lxml(expression, namespaces)
            except ValueError as error:
                raise QuerySyntaxError.at(
                    "E0501", f"the lxml engine runs XPath 1.0 only and this expression {error}; "
                    "use --engine auto, saxon or elementpath", path="<expression>", line=1, column=1) from None

    def _compile_elementpath(self) -> None:
        from . import xpath_elementpath
        try:
            self.token = xpath_elementpath.compile_expression(self.expression, self.namespaces)
        except xpath_elementpath.ElementPathError as error:
            if getattr(error, "code", "") == "err:XPST0081":
                raise _Unresolved(str(error.message)) from None
            raise _elementpath_syntax_error(self.expression, error) from None
        except RecursionError:
            raise QueryBudgetError.at("E0504", "the expression is nested too deeply for the elementpath engine's "
                                      "parser", path="<expression>", line=1, column=1) from None
        except MemoryError:
            raise QueryBudgetError.at("E0504", "the expression needs more memory than there is to compile",
                                      path="<expression>", line=1, column=1) from None
        missing = sorted(xpath_elementpath.variable_names(self.token) - set(self.variables))
        if missing:
            raise QuerySyntaxError.at(
                "E0501", f"variable ${missing[0]} is not bound; pass --var {missing[0]}=VALUE",
                path="<expression>", line=1, column=self.expression.find("$" + missing[0]) + 1)

    def fallback(self) -> Any:
        """elementpath's parse tree, for the documents Saxon cannot hold (compiled once)."""
        if self.token is None:
            self._compile_elementpath()
        return self.token


class _Unresolved(Exception):
    """A prefix or name the expression uses is not declared (yet: a document may declare it)."""


def _root_namespaces(document: Document) -> dict[str, str]:
    return {prefix: uri for prefix, uri in document.root.nsmap.items() if prefix}


class Query:
    """An XPath 3.1 expression compiled once, called on many documents.

    ``namespaces`` adds prefixes to ``tei`` and ``xml`` (and those declared
    on each document's root, which are used only when the expression needs
    them); ``variables`` binds external ``$name`` variables (strings,
    numbers or booleans); ``engine`` is ``auto``, ``saxon``, ``elementpath``
    or ``lxml`` (module docstring); ``limit`` bounds the items of a result
    (more is E0504); ``allow`` names refused functions to permit
    (:data:`edition.query_guard.REFUSED`).

    Raises :class:`QuerySyntaxError` (E0501) when the expression does not
    compile and :class:`QueryRefusedError` (E0505) when it is refused;
    calling it raises :class:`QueryEvaluationError` (E0502, E0504).
    """

    def __init__(self, expression: str, namespaces: Mapping[str, str] | None = None,
                 variables: Mapping[str, Any] | None = None, engine: str = "auto",
                 limit: int | None = query_guard.DEFAULT_LIMIT, allow: Iterable[str] = ()) -> None:
        if engine not in ENGINES:
            raise EditionUsageError.at("E0901", f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
        if not expression.strip():
            raise QuerySyntaxError.at("E0501", "the XPath expression is empty", path="<expression>",
                                      line=1, column=1)
        self.expression = expression
        self.namespaces = {**(namespaces or {}), **NAMESPACES}
        self.variables = dict(variables or {})
        self.requested_engine = engine
        self.limit = limit if limit is not None else 2**31 - 2
        self.allow = tuple(sorted(set(allow)))
        self._check()
        self._engine = default_engine() if engine == "auto" else engine
        if self._engine == "saxon":
            from . import xpath_saxon
            if not xpath_saxon.available():
                raise EditionUsageError.at("E0901", "engine saxon needs saxonche (pip install saxonche) and "
                                           "about 40 GiB of address space (ulimit -v); use --engine elementpath")
        self._by_namespaces: dict[tuple[tuple[str, str], ...], _Compiled] = {}
        self._default: _Compiled | None = None
        with contextlib.suppress(_Unresolved):  # the prefix may be declared by the documents themselves
            self._default = self._compile(self.namespaces)

    def _check(self) -> None:
        """Refuse what no engine should see: bad characters, runaway nesting, outside reads."""
        expression = self.expression
        offset = query_guard.invalid_character(expression)
        if offset >= 0:
            line, column = query_guard.line_column(expression, offset)
            raise QueryRefusedError.at(
                "E0505", f"the expression holds the character U+{ord(expression[offset]):04X}, which XML "
                "does not allow (write it as a codepoint: codepoints-to-string(...) cannot make it either)",
                path="<expression>", line=line, column=column)
        depth, offset = query_guard.nesting_depth(expression)
        if depth > query_guard.MAX_NESTING:
            line, column = query_guard.line_column(expression, offset)
            raise QueryBudgetError.at("E0504", f"brackets nested {depth} deep; at most "
                                      f"{query_guard.MAX_NESTING} are evaluated", path="<expression>",
                                      line=line, column=column)
        refused = query_guard.refused_functions(expression, self.allow)
        if refused:
            name, offset = refused[0]
            line, column = query_guard.line_column(expression, offset)
            why = query_guard.REFUSED.get(name, "an extension function of the engine")
            raise QueryRefusedError.at(
                "E0505", f"{name}() is refused: it {why}; allow it with --allow {name} if you mean it",
                path="<expression>", line=line, column=column)

    def _compile(self, namespaces: Mapping[str, str]) -> _Compiled:
        key = tuple(sorted(namespaces.items()))
        compiled = self._by_namespaces.get(key)
        if compiled is None:
            compiled = _Compiled(self.expression, namespaces, self.variables, self._engine)
            self._by_namespaces[key] = compiled
        return compiled

    def __repr__(self) -> str:
        return f"Query({self.expression!r}, engine={self.engine!r})"

    @property
    def engine(self) -> str:
        """The engine that runs this expression: 'saxon', 'elementpath' or 'lxml'."""
        return self._engine

    def _for(self, document: Document) -> _Compiled:
        if self._default is not None:
            return self._default
        try:
            return self._compile({**_root_namespaces(document), **self.namespaces})
        except _Unresolved as error:
            raise QueryEvaluationError(Diagnostic.make(
                "E0501", f"{error} in this document nor with --ns (expression {self.expression!r})",
                path=document.path, line=1, column=1)) from None

    def evaluate(self, document: Document, item: etree._Element | None = None,
                 variables: Mapping[str, Any] | None = None, limit: int | None = None) -> list[Any]:
        """The raw result items (lxml nodes, the Saxon engine's text and attribute nodes or
        elementpath's nodes, and values), at most ``limit + 1`` of them (default: the query's).

        ``item`` is the context node (default: the document node).
        """
        compiled = self._for(document)
        limit = self.limit if limit is None else limit
        try:
            if compiled.engine == "saxon":
                return self._saxon(compiled, document, item, variables, limit)
            if compiled.engine == "lxml":
                return self._lxml(compiled, document, item, variables)
            from . import xpath_elementpath
            try:
                return xpath_elementpath.evaluate(compiled.token, document, item,
                                                  {**self.variables, **(variables or {})}, self.namespaces, limit)
            except xpath_elementpath.ElementPathError as error:
                raise self._runtime_error(document, error) from None
        except RecursionError:
            raise QueryBudgetError(Diagnostic.make(
                "E0504", f"evaluating {self.expression!r} recursed too deeply; simplify the expression",
                path=document.path)) from None
        except MemoryError:
            raise QueryBudgetError(Diagnostic.make(
                "E0504", f"evaluating {self.expression!r} needed more memory than there is; bound the "
                "sequences it builds", path=document.path)) from None
        except (etree.XPathError, TypeError, ValueError, ArithmeticError, OverflowError) as error:
            if isinstance(error, EditionQueryError):
                raise
            raise QueryEvaluationError(Diagnostic.make(
                "E0502", f"evaluating {self.expression!r} failed: {error}", path=document.path)) from None

    def _saxon(self, compiled: _Compiled, document: Document, item: etree._Element | None,
               variables: Mapping[str, Any] | None, limit: int) -> list[Any]:
        from .xpath_saxon import SaxonError, SaxonExpression
        expression = compiled.saxon
        if variables:
            expression = SaxonExpression(self.expression, compiled.namespaces, {**self.variables, **variables})
        from .xpath_saxon import REFUSED
        if document not in REFUSED:
            try:
                return list(expression.evaluate(document, item, limit))
            except SaxonError as error:
                if not error.document:
                    raise self._saxon_error(document, error) from None
                REFUSED.add(document)  # an unexpanded entity…: elementpath answers for this document
        from . import xpath_elementpath
        try:
            return xpath_elementpath.evaluate(compiled.fallback(), document, item,
                                              {**self.variables, **(variables or {})}, self.namespaces, limit)
        except xpath_elementpath.ElementPathError as error:
            raise self._runtime_error(document, error) from None

    def _saxon_error(self, document: Document, error: Any) -> QueryEvaluationError:
        code = "E0504" if any(word in error.message for word in RESOURCE_WORDS) else "E0502"
        kind = QueryBudgetError if code == "E0504" else QueryEvaluationError
        return kind(Diagnostic.make(code, f"{error.message} (expression {self.expression!r}); "
                                    "fix the expression or the data it reads", path=document.path))

    @staticmethod
    def _lxml(compiled: _Compiled, document: Document, item: etree._Element | None,
              variables: Mapping[str, Any] | None) -> list[Any]:
        assert compiled.lxml is not None
        result = compiled.lxml(item if item is not None else document.tree,
                               **{**compiled.variables, **(variables or {})})
        if compiled.result_kind == "integer" and isinstance(result, float):
            return [int(result)]
        return result if isinstance(result, list) else [result]

    def _runtime_error(self, document: Document, error: Any) -> QueryEvaluationError:
        token = getattr(error, "token", None)
        part = ""
        if token is not None:
            try:
                part = token.source
            except Exception:  # noqa: BLE001 - the source of a token is only a courtesy
                part = str(token)
        code = f"[{error.code}] " if getattr(error, "code", None) else ""
        where = f" in `{part}`" if part and part != self.expression else ""
        return QueryEvaluationError(Diagnostic.make(
            "E0502", f"{code}{error.message}{where} (expression {self.expression!r}); "
            "fix the expression or the data it reads", path=document.path))

    def _locator(self, document: Document, markup: bool) -> tuple[_Locator, Any]:
        locate = _Locator(document, markup)
        from .xpath_saxon import REFUSED
        engine = self._for(document).engine
        if engine == "elementpath" or engine == "saxon" and document in REFUSED:
            return locate, locate.from_elementpath
        return locate, locate.from_lxml

    def _bounded(self, document: Document, items: list[Any]) -> list[Any]:
        if len(items) > self.limit:
            raise QueryBudgetError(Diagnostic.make(
                "E0504", f"the result has more than {self.limit} items (--limit); narrow the query or raise "
                "the limit", path=document.path))
        return items

    def iter(self, document: Document, markup: bool = False, item: etree._Element | None = None
             ) -> Iterator[Hit]:
        """Hits in result order; ``markup`` also serializes each node (for XML output)."""
        items = self._bounded(document, self.evaluate(document, item))
        _, convert = self._locator(document, markup)
        for result in items:
            yield convert(result)

    def __call__(self, document: Document, markup: bool = False) -> list[Hit]:
        return list(self.iter(document, markup))

    def query(self, document: Document, markup: bool = False) -> list[Hit]:
        """All hits on ``document`` (the same as calling the query)."""
        return self(document, markup)

    def count(self, document: Document) -> int:
        return len(self._bounded(document, self.evaluate(document)))

    def strings(self, document: Document, item: etree._Element | None = None,
                variables: Mapping[str, Any] | None = None) -> list[str]:
        """String values of the result items (for named queries' value, group and label parts)."""
        return [string_value(result) for result in self.evaluate(document, item, variables)]




def parse_bindings(pairs: Iterable[str], what: str) -> dict[str, str]:
    """``name=value`` strings (from ``--var`` / ``--ns``) to a dict; usage error when malformed."""
    bound: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise EditionUsageError.at("E0901", f"{what} '{pair}' is not name=value")
        bound[name.strip()] = value
    return bound


# -- many files ------------------------------------------------------------------

class Plan(NamedTuple):
    """What to run on each file, as plain strings so it pickles to worker processes.  (A
    named tuple, not a dataclass, whose methods would be compiled on every command's start-up.)

    ``value`` and ``key`` are XPath expressions evaluated with each hit's
    node as the context item (the displayed value; a grouping or sorting
    key); ``label`` is evaluated once per distinct key of the form ``#id``,
    with the element of that xml:id (an authority entry) as context item.
    """

    expression: str
    namespaces: tuple[tuple[str, str], ...] = ()
    variables: tuple[tuple[str, Any], ...] = ()
    engine: str = "auto"
    value: str = ""
    key: str = ""
    label: str = ""
    markup: bool = False
    limit: int = query_guard.DEFAULT_LIMIT
    allow: tuple[str, ...] = ()

    def compile(self) -> Query:
        """The main query (checks syntax before any file is opened)."""
        return _cached(self.expression, self)

    def compile_all(self) -> None:
        self.compile()
        for part in (self.value, self.key):
            if part:
                _cached(part, self)
        if self.label:
            _cached(self.label, self)


# compiled once per process: a compiled elementpath token does not pickle, so
# worker processes receive the expression text and compile it on first use
_QUERIES: dict[tuple[Any, ...], Query] = {}


def _cached(expression: str, plan: Plan, *extra: tuple[str, Any]) -> Query:
    variables = (*plan.variables, *extra)
    cache_key = (expression, plan.namespaces, variables, plan.engine, plan.limit, plan.allow)
    query = _QUERIES.get(cache_key)
    if query is None:
        query = Query(expression, dict(plan.namespaces), dict(variables), plan.engine, plan.limit, plan.allow)
        _QUERIES[cache_key] = query
    return query


def _node_of(document: Document, hit: Hit, item: Any) -> etree._Element | None:
    """The element a hit's value/key expressions see as context (the node, or an attribute's owner)."""
    if isinstance(item, etree._Element):
        return item
    owner = getattr(item, "owner", None)  # the Saxon engine's attribute
    if isinstance(owner, etree._Element):
        return owner
    if hasattr(item, "node_kind") and isinstance(getattr(item, "elem", None), etree._Element):
        return item.elem  # elementpath's element
    return None


def run_document(plan: Plan, document: Document) -> FileResult:
    """Run a plan on one parsed document."""
    result = FileResult(document.path)
    query = plan.compile()
    try:
        items = query.evaluate(document)
        if len(items) > plan.limit:
            del items[plan.limit:]
            result.diagnostics.append(Diagnostic.make(
                "E0504", f"the result has more than {plan.limit} items; the first {plan.limit} are shown "
                "(--limit)", path=document.path))
        _, convert = query._locator(document, plan.markup)
        value_query = _cached(plan.value, plan) if plan.value else None
        key_query = _cached(plan.key, plan) if plan.key else None
        for item in items:
            hit = convert(item)
            node = _node_of(document, hit, item)
            if node is not None and (value_query or key_query):
                changes: dict[str, str] = {}
                if value_query:
                    changes["value"] = " ".join(value_query.strings(document, node))
                if key_query:
                    changes["key"] = next(iter(key_query.strings(document, node)), "")
                hit = Hit(**{**asdict(hit), **changes})
            result.hits.append(hit)
        if plan.label:
            label_query = _cached(plan.label, plan)
            for key in dict.fromkeys(h.key for h in result.hits if h.key):
                entry = document.ids.get(key[1:]) if key.startswith("#") else None
                if entry is not None:
                    text = next(iter(label_query.strings(document, entry)), "")
                    result.labels[key] = " ".join(text.split())
    except EditionQueryError as error:
        result.hits.clear()
        result.diagnostics.append(error.diagnostic)
    return result


def _run_file(task: tuple[Plan, str, str]) -> FileResult:
    from .diagnostics import EditionParseError
    from .document import load

    plan, shown, path = task
    try:
        document = load(path, display=shown)
    except EditionParseError as error:
        return FileResult(shown, diagnostics=[error.diagnostic])
    result = run_document(plan, document)
    result.diagnostics[:0] = document.problems  # includes not resolved (E0009)
    return result


#: Serial seconds per megabyte of input, measured on the FRUS corpus: the
#: elementpath engine builds its own node tree and evaluates in Python.
SECONDS_PER_MB = {"lxml": 0.15, "saxon": 0.15, "elementpath": 0.5}
#: A worker pool costs about a second to start (edition.corpus spawns fresh
#: interpreters), so it is used only when the estimated serial time is larger.
PARALLEL_MIN_SECONDS = 3.0


def _worth_a_pool(plan: Plan, tasks: list[tuple[Plan, str, str]]) -> bool:
    if len(tasks) < 2:
        return False
    size = 0
    for _, _, path in tasks:
        with contextlib.suppress(OSError):
            size += os.path.getsize(path)
    engine = plan.compile().engine or "elementpath"
    if plan.value or plan.key or plan.label:
        engine = "elementpath"  # per-hit parts: assume the slower engine
    return size / 1e6 * SECONDS_PER_MB[engine] >= PARALLEL_MIN_SECONDS


def run_files(plan: Plan, paths: Iterable[str | Any], jobs: int | None = None) -> Iterator[FileResult]:
    """Run a plan over files and folders; results stream in file order.

    When the input is large enough to pay for a worker pool (see
    :data:`PARALLEL_MIN_SECONDS`), files are shared among all cores unless
    ``jobs`` says otherwise; a progress bar shows on stderr when it is a
    terminal.
    An unreadable or ill-formed file yields its parse diagnostic and the
    others still run.
    """
    from . import cluster
    from .document import iter_sources

    plan.compile_all()  # a syntax error stops the run before any file is read
    tasks = [(plan, shown, str(path)) for shown, path in iter_sources(paths)]
    if len(tasks) == 1 and cluster.active() is None:
        # one file, here: no pool, no progress bar, and none of their imports (a query
        # of one small file is mostly start-up)
        yield _run_file(tasks[0])
        return
    if jobs is None and not _worth_a_pool(plan, tasks):
        jobs = 1
    from .corpus import run_parallel

    yield from run_parallel(_run_file, tasks, jobs=jobs, label="query")


def watch_query(plan: Plan, output_format: str, timeout: float, memory_mb: float,
                out: Any, err: Any) -> Callable[[], None]:
    """Before a command-line run: compile the plan (a syntax error or a refused function
    stops it before any file is read; in JSON mode stdout gets the error object too) and
    start the time and memory watch (:func:`edition.query_guard.watchdog`)."""
    from .diagnostics import EditionError
    from .query_output import error_record

    try:
        plan.compile_all()
    except EditionError as error:
        if output_format == "json":
            import json

            out(json.dumps(error_record(error.diagnostic), ensure_ascii=False))
        raise

    from .query_output import JSON_STATE

    # the Saxon engine points fd 2 at /dev/null while it evaluates (its own reports): the
    # watch writes to the stderr of the start
    stderr = os.dup(2)

    def stop(reason: str) -> None:
        diagnostic = Diagnostic.make("E0504", f"{reason}; the query was stopped (expression {plan.expression!r})",
                                     path="<expression>")
        if output_format == "json":
            import json

            record = json.dumps(error_record(diagnostic), ensure_ascii=False)
            if JSON_STATE["open"]:  # close the array of hits being printed, so stdout stays JSON
                out(("," if JSON_STATE["items"] else "") + record)
                out("]")
            else:
                out(record)
        os.write(stderr, (str(diagnostic) + "\n").encode("utf-8", "replace"))

    if timeout or memory_mb:
        # the caller ends the watch when the run ends: a library or test process lives on after
        # the query, and must not be stopped by a watch meant for the query alone
        def last_words(reason: str) -> tuple[str, str]:
            """What the hard stop prints (from outside the interpreter, so made now): the
            diagnostic only; stdout may then end inside the JSON array of hits."""
            diagnostic = Diagnostic.make(
                "E0504", f"{reason}; the query was stopped (expression {plan.expression!r})", path="<expression>")
            return "", str(diagnostic)

        unwatch = query_guard.watchdog(timeout, memory_mb, stop, last_words)

        def end() -> None:
            unwatch()
            os.close(stderr)

        return end
    os.close(stderr)
    return lambda: None
