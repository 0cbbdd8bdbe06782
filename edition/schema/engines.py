"""The engines: a :class:`Schema` is compiled once, then checks many documents.

:class:`XsdSchema` and :class:`RelaxNGSchema` wrap libxml2's validators (C validation,
milliseconds per document), :class:`OddSchema` compiles an ODD to XSD in memory
(:mod:`edition.odd`), :class:`EditionSchema` is ours, which checks a single document against
a copy pruned to its elements first.  One engine per schema and process (:func:`schema_from_file`,
:func:`edition_schema`).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from lxml import etree

from .. import cache
from ..diagnostics import Diagnostic, EditionUsageError
from ..document import TEI_NS, Document
from ..odd import STUB_TYPE, OddError, compile_odd
from ..speed import Background
from .messages import translate_log
from .paths import _R, EDITION_XSD, XSD_NS, schema_error
from .pruning import prune_xsd

_TEI = f"{{{TEI_NS}}}"

#: A validation begun on a document: call it for the findings.
Pending = Callable[[], Iterable[Diagnostic]]


class Schema:
    """A compiled schema; call :meth:`iter_problems` on documents."""

    name = "schema"

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def begin(self, document: Document) -> Pending:
        """Start validating ``document``; the returned function gives the findings.

        The work is done when the findings are asked for; engines that check a cheaper
        grammar first (:class:`EditionSchema`, tei_all's) choose it here.  The findings are
        those of :meth:`iter_problems`.
        """
        return lambda: self.iter_problems(document)

    def is_valid(self, document: Document) -> bool:
        return next(iter(self.iter_problems(document)), None) is None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class LxmlSchema(Schema):
    """A schema validated by libxml2 through lxml; compiled lazily, once per process."""

    kind = "schema"

    def __init__(self, path: Path | None = None, tree: etree._ElementTree | None = None,
                 name: str | None = None) -> None:
        self.path = path
        self._tree = tree
        self.name = name or (str(path) if path else self.kind)
        self._validator: etree._Validator | None = None
        self._lock = threading.Lock()
        self._compiling: Background | None = None

    def __getstate__(self) -> dict[str, object]:
        # Compiled validators cannot cross a process boundary; workers recompile.
        state = self.__dict__.copy()
        state["_validator"] = None
        state["_compiling"] = None
        state.pop("_lock", None)
        if self.path is not None:
            state["_tree"] = None
        elif self._tree is not None:
            state["_tree"] = etree.tostring(self._tree)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        tree = state.get("_tree")
        if isinstance(tree, bytes):
            state["_tree"] = etree.ElementTree(etree.fromstring(tree))
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _build(self, tree: etree._ElementTree) -> etree._Validator:
        raise NotImplementedError

    def _source_tree(self) -> etree._ElementTree:
        if self._tree is not None:
            return self._tree
        assert self.path is not None
        if not self.path.is_file():
            raise schema_error(f"schema file not found: {self.path}; check the path given to --schema",
                               str(self.path))
        try:
            return etree.parse(str(self.path), etree.XMLParser(no_network=True, resolve_entities=False))
        except etree.XMLSyntaxError as error:
            raise schema_error(f"schema file is not well-formed XML ({error}); fix or regenerate it",
                               str(self.path)) from None

    def _compile(self) -> etree._Validator:
        with self._lock:
            if self._validator is None:
                tree = self._source_tree()
                try:
                    self._validator = self._build(tree)
                except (etree.XMLSchemaParseError, etree.RelaxNGParseError) as error:
                    raise schema_error(f"not a usable {self.kind} schema: {_first_line(error)}",
                                       self.name) from None
            return self._validator

    @property
    def validator(self) -> etree._Validator:
        if self._validator is None:
            compiling = self._compiling
            if compiling is not None and compiling is not threading.current_thread():
                compiling.join()  # a failure there is raised here, by compiling again
            return self._compile()
        return self._validator

    def load(self) -> LxmlSchema:
        """Compile now (raises E0107 when the schema is broken); returns self."""
        _ = self.validator
        return self

    def compile_in_background(self) -> None:
        """Start compiling on another thread; :attr:`validator` waits for it.

        Our XSD takes libxml2 0.15 s, which then overlaps the imports, the parsing and
        the rules instead of preceding them.  Call :meth:`settle` before forking.
        """
        if self._validator is None and self._compiling is None:
            self._compiling = Background(self._compile_quietly, f"compile {self.name}")

    def _compile_quietly(self) -> None:
        with contextlib.suppress(EditionUsageError):  # raised again where the validator is asked for
            self._compile()

    def settle(self) -> None:
        """Wait for a background compilation (a process must not fork while it runs)."""
        if self._compiling is not None:
            self._compiling.join()

    #: TEI elements that the schema declares only as unusable stubs (see edition.odd).
    hidden: frozenset[str] = frozenset()
    #: Element names a RELAX NG grammar declares (to explain libxml2's vaguer reports).
    declared: frozenset[str] = frozenset()
    #: libxml2's RELAX NG validator also blames earlier siblings of an error.
    echoes_siblings = False

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        validator = self.validator
        if validator.validate(document.tree):
            return
        yield from self._explained(document, validator.error_log)

    def begin(self, document: Document) -> Pending:
        return lambda: self._findings(document, self._log_of(document.tree))

    def _log_of(self, tree: etree._ElementTree) -> etree._ListErrorLog | None:
        """The error log of validating ``tree`` (None when it is valid)."""
        validator = self.validator
        return None if validator.validate(tree) else validator.error_log

    def _findings(self, document: Document, log: etree._ListErrorLog | None) -> list[Diagnostic]:
        return [] if log is None else list(self._explained(document, log))

    def _explained(self, document: Document, log: Iterable[etree._LogEntry]) -> Iterator[Diagnostic]:
        found = translate_log(document, log, self.hidden, self.echoes_siblings)
        for diagnostic in found:
            name = re.match(r"<([\w.-]+)> is not allowed here", diagnostic.message)
            if name and name.group(1) in self.declared:
                # libxml2's RELAX NG validator says "not allowed" when an element's own
                # attributes or content fail; say so, since the schema does know the element.
                diagnostic = replace(diagnostic, message=diagnostic.message + (
                    f"; the schema has <{name.group(1)}>: check its place, its attributes and its content"))
            yield diagnostic


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class XsdSchema(LxmlSchema):
    """W3C XML Schema 1.0 (lxml.etree.XMLSchema)."""

    kind = "XSD"

    def _build(self, tree: etree._ElementTree) -> etree._Validator:
        self.hidden = frozenset(e.get("name") for e in tree.getroot().findall(f"{{{XSD_NS}}}element")
                                if (e.get("type") or "").endswith(STUB_TYPE))
        return etree.XMLSchema(tree)


class RelaxNGSchema(LxmlSchema):
    """RELAX NG, XML syntax (lxml.etree.RelaxNG)."""

    kind = "RELAX NG"
    echoes_siblings = True

    def _build(self, tree: etree._ElementTree) -> etree._Validator:
        self.declared = frozenset((e.get("name") or "").rpartition(":")[2]
                                  for e in tree.iter(f"{_R}element") if e.get("name"))
        return etree.RelaxNG(tree)


class CompactRelaxNGSchema(RelaxNGSchema):
    """RELAX NG in the compact syntax (.rnc), read into the XML syntax (:mod:`.compact`), which
    libxml2 then compiles and validates with."""

    kind = "RELAX NG (compact syntax)"

    def _source_tree(self) -> etree._ElementTree:
        from .compact import CompactSyntaxError, to_xml_syntax

        assert self.path is not None
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as error:
            raise schema_error(f"cannot read the schema: {error.strerror or error}", str(self.path)) from None
        except UnicodeDecodeError:
            raise schema_error("the compact syntax is read as UTF-8 and this file is not: save it as UTF-8",
                               str(self.path)) from None
        try:
            return to_xml_syntax(text, self.path)
        except CompactSyntaxError as error:
            raise EditionUsageError.at("E0107", f"not RELAX NG compact syntax that can be read: {error.message}",
                                       path=error.path or str(self.path), line=error.line,
                                       column=error.column) from None


class OddSchema(XsdSchema):
    """An ODD customization, compiled to XSD in memory against tei_all (see :mod:`edition.odd`)."""

    kind = "ODD"

    def _source_tree(self) -> etree._ElementTree:
        assert self.path is not None
        if not self.path.is_file():
            raise schema_error(f"ODD file not found: {self.path}", str(self.path))
        try:
            return compile_odd(self.path)
        except OddError as error:
            raise schema_error(str(error), str(self.path)) from None


def settle() -> None:
    """Wait for every schema compiling in the background (before a process forks)."""
    for schema in list(_SCHEMAS.values()):
        if isinstance(schema, LxmlSchema):
            schema.settle()


class EditionSchema(XsdSchema):
    """Ours (schema/edition.xsd), which a single document can have checked by a pruned copy.

    libxml2 takes 0.15 s to compile the whole XSD (it checks every content model
    of 161 elements for determinism), 0.01-0.03 s to compile it cut down to the
    elements one document uses (:func:`prune_xsd`), which accepts exactly the
    documents the whole one accepts among those using only these elements.  So
    :meth:`begin` validates against the pruned copy first and only when that
    fails against the whole schema, whose messages (the elements expected, for
    one) are the ones reported.  Pruned copies are kept in the cache folder,
    keyed by the schema's bytes and the element names.
    """

    def begin(self, document: Document) -> Pending:
        if self._validator is not None or self._compiling is not None or self.path is None:
            return super().begin(document)  # the whole schema is compiled or on its way (many files)
        used = frozenset(tag[len(_TEI):] for tag in document.attribute_profile if tag.startswith(_TEI))
        return lambda: self._findings(document, self._log_pruned_first(document.tree, used))

    def _log_pruned_first(self, tree: etree._ElementTree, used: frozenset[str]) -> etree._ListErrorLog | None:
        try:
            pruned = self._pruned(used)
        except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError):
            pruned = None  # the whole schema then decides, and says what is wrong with it
        if pruned is not None and pruned.validate(tree):
            return None
        return self._log_of(tree)

    def _pruned(self, used: frozenset[str]) -> etree.XMLSchema:
        """The schema pruned to ``used``, compiled (from the cache folder when it is there)."""
        assert self.path is not None
        whole = self.path.read_bytes()
        digest = hashlib.sha256(whole)
        digest.update(b"\0xsd-pruned-v1\0" + "\0".join(sorted(used)).encode())
        key = digest.hexdigest()[:24]
        # base_url: the pruned copy imports xml.xsd from beside the schema
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        stored = cache.read("edition-xsd", f"{key}.xsd")
        if stored is not None:
            try:
                return etree.XMLSchema(etree.fromstring(stored, parser, base_url=str(self.path)))
            except (etree.XMLSyntaxError, etree.XMLSchemaParseError):
                cache.discard("edition-xsd", f"{key}.xsd", "it does not compile")
        pruned = etree.tostring(prune_xsd(etree.fromstring(whole, parser), used),
                                xml_declaration=True, encoding="UTF-8")
        compiled = etree.XMLSchema(etree.fromstring(pruned, parser, base_url=str(self.path)))
        cache.write("edition-xsd", f"{key}.xsd", pruned)
        return compiled


def edition_schema() -> XsdSchema:
    """Ours: schema/edition.xsd, compiled from schema/edition.odd (cached per process)."""
    schema = cached(("edition",), lambda: EditionSchema(EDITION_XSD, name="edition"))
    assert isinstance(schema, XsdSchema)
    return schema


_SCHEMAS: dict[tuple[object, ...], Schema] = {}


def cached(key: tuple[object, ...], make: Callable[[], Schema]) -> Schema:
    """One engine per key and process: compiled schemas are reused across documents."""
    schema = _SCHEMAS.get(key)
    if schema is None:
        schema = _SCHEMAS[key] = make()
    return schema


def schema_from_file(path: Path) -> LxmlSchema:
    """An engine for a schema file chosen by its suffix (.rng, .xsd, .odd, or an ODD as .xml)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise schema_error(f"schema file not found: {path}; give a .rng, .rnc, .xsd or .odd file", str(path)) from None
    if suffix == ".rng":
        cls: type[LxmlSchema] = RelaxNGSchema
    elif suffix == ".xsd":
        cls = XsdSchema
    elif suffix == ".odd" or (suffix == ".xml" and _looks_like_odd(path)):
        cls = OddSchema
    elif suffix == ".rnc":
        cls = CompactRelaxNGSchema
    else:
        raise schema_error(f"unknown schema type '{suffix or path.name}': give a RELAX NG (.rng, or .rnc in "
                           "the compact syntax), an XSD (.xsd) or an ODD (.odd)", str(path))
    schema = cached((cls.__name__, str(path.resolve()), stamp), lambda: cls(path))
    assert isinstance(schema, LxmlSchema)
    return schema.load()


def _looks_like_odd(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"schemaSpec" in handle.read(1 << 20)
    except OSError:
        return False
