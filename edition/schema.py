"""Schemas: ours (compiled from schema/edition.odd), tei_all, or any RELAX NG / XSD / ODD.

Every engine is a :class:`Schema`: compiled once, then called on many
documents through :meth:`Schema.iter_problems`, which turns libxml2's error
log into located :class:`~edition.diagnostics.Diagnostic` records with
stable codes (E0100–E0106).

* :class:`XsdSchema` and :class:`RelaxNGSchema` wrap ``lxml.etree.XMLSchema``
  and ``lxml.etree.RelaxNG`` (C validation, milliseconds per document).
* :class:`OddSchema` compiles an ODD to XSD in memory (:mod:`edition.odd`).
* :class:`TeiAllSchema` validates against the official tei_all RELAX NG
  without compiling all of it: see :func:`prune_tei_all`.

Speed without changing a finding: :meth:`Schema.begin` validates a large
document on a second thread while the caller runs the rules; one document is
checked against our XSD pruned to its elements (:func:`prune_xsd`) or tei_all
cut to its elements' attributes (:func:`specialize_attributes`), and only when
that fails against the schema whose messages are reported.

:func:`resolve_schema` turns the user's choice (None, ``"edition"``,
``"tei-all"``, ``"none"``, a path, a Schema) into an engine for a document.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar, Union
from urllib.parse import unquote, urlparse

from lxml import etree

from . import cache, resources
from .diagnostics import Diagnostic, EditionUsageError
from .document import TEI_NS, XML_NS, Document, local_name

SCHEMA_DIR = resources.schema_dir()
EDITION_XSD = SCHEMA_DIR / "edition.xsd"
EDITION_ODD = SCHEMA_DIR / "edition.odd"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_R = f"{{{RNG_NS}}}"
#: The type of the stubs edition/odd.py declares for TEI elements our ODD leaves out
#: (here, so that loading our XSD does not import the ODD compiler).
STUB_TYPE = "edition.notInThisSchema"


def tei_p5_dir() -> Path:
    """Where tei_all.rng, tei_all.xsd and p5subset.xml are: ``$EDITION_TEI_P5`` or the vendored TEI P5."""
    return resources.tei_p5_dir()


def schema_error(message: str, path: str = "") -> EditionUsageError:
    """E0107: a schema that cannot be loaded; the message says what to do."""
    return EditionUsageError.at("E0107", message, path=path)


# -- libxml2 error log → our codes ---------------------------------------------

_NOISE = re.compile(r"\{(?P<ns>[^}]*)\}(?P<local>[\w.-]+)")


def _readable(message: str) -> str:
    """Strip libxml2's Clark names (``{http://www.tei-c.org/ns/1.0}p`` → ``p``) and its prefix."""
    def name(match: re.Match[str]) -> str:
        ns, local = match.group("ns"), match.group("local")
        if ns == TEI_NS:
            return local
        if ns == XML_NS:
            return f"xml:{local}"
        return f"{{{ns}}}{local}"
    text = _NOISE.sub(name, message.strip())
    text = re.sub(r"^Element '([^']+)', attribute '([^']+)': ", r"@\2: ", text)
    text = re.sub(r"^Element '([^']+)': ", "", text)
    # our compiled types have no names worth showing
    text = re.sub(r" of the (?:union |atomic |list )?type 'edition\.type\d+'", "", text)
    text = re.sub(r"\[facet 'enumeration'\] The value ('[^']*') is not an element of the set \{(.*)\}",
                  lambda m: f"{m.group(1)} is not one of: {m.group(2).replace(chr(39), '')}", text)
    text = text.replace("of the atomic type 'xs:ID'", "for an xml:id (it must be an XML name, unique in the file)")
    return text.rstrip(".")


#: (code, pattern on libxml2's message), first match wins.
_MESSAGE_CODES: list[tuple[str, re.Pattern[str]]] = [(code, re.compile(pattern)) for code, pattern in [
    # not "/namespace": the XML namespace URI (xml:id, xml:space) is in many other messages
    ("E0106", r"(?<!/)[Nn]amespace|No matching global declaration available for the validation root"),
    ("E0105", r"Character content other than whitespace is not allowed|has extra content: text"
              r"|Element .* has text content|Did not expect text|text not allowed"),
    ("E0104", r"Missing child element|is required but missing|Expecting an element .*, got nothing"
              r"|Expecting element \S+, got nothing|Element \S+ has missing attribute|Missing attribute"
              r"|Some element missing|failed to validate, missing|Expecting an element, got nothing"),
    ("E0103", r"is not an element of the set|is not a valid value|Error validating value|Type \S+ doesn't allow value"
              r"|failed to compute canonical value|pattern|Value .* fails|Datatype element .* has child elements"
              r"|Invalid attribute value|\[facet"),
    ("E0102", r"attribute '[^']+' is not allowed|The attribute '[^']+' is not allowed|Invalid attribute"
              r"|failed to validate attributes|Element \S+ has extra attribute"),
    ("E0101", r"This element is not expected|Did not expect element|Expecting element|The element declaration is abstract"
              r"|not allowed here|Element \S+ has extra content|No declaration for element|extra element"),
]]


def classify(message: str) -> str:
    """Our code for one libxml2 validation message (E0100 when nothing more precise fits)."""
    for code, pattern in _MESSAGE_CODES:
        if pattern.search(message):
            return code
    return "E0100"


#: Cascade messages libxml2's RELAX NG validator adds on every ancestor of a
#: real error; kept only when nothing more precise was reported.
_CASCADE = re.compile(r"failed to validate content|Expecting element absent|Invalid sequence in interleave|Extra element .* in interleave"
                      r"|Element \S+ failed to validate attributes")


def _expected(names: str, hidden: frozenset[str]) -> str:
    shown = [n.strip() for n in names.split(",") if n.strip() and n.strip() not in hidden
             and "not-in-this-schema" not in n]
    return ", ".join(f"<{n}>" for n in shown) or "nothing more"


def _explain(code: str, message: str, element: etree._Element | None,
             hidden: frozenset[str] = frozenset()) -> str:
    """A message that says what to fix, in TEI's own names."""
    text = _readable(message)
    name = f"<{_display_name(element)}>" if element is not None else "this element"
    text = text.replace("This element is not expected.", f"{name} is not allowed here;")
    text = text.replace("This element is not expected", f"{name} is not allowed here")
    text = re.sub(r"Expected is one of \( (.*?) \)", lambda m: "expected one of: " + _expected(m.group(1), hidden), text)
    text = re.sub(r"Expected is \( (.*?) \)", lambda m: "expected: " + _expected(m.group(1), hidden), text)
    text = re.sub(r"^Did not expect element (\S+) there$", r"<\1> is not allowed here", text)
    text = re.sub(r"^Element (\S+) has extra content: (\S+)$", r"<\2> is not allowed here in <\1>", text)
    text = re.sub(r"^Expecting element (\S+), got (\S+)$", r"expected <\1> here, found <\2>", text)
    text = text.replace("The element declaration is abstract",
                        f"{name} is not part of this schema's element set")
    if code == "E0106" and "xmlns=" not in text:
        ns = etree.QName(element).namespace if element is not None else None
        text += (f"; <{_display_name(element)}> is in namespace '{ns or ''}': TEI elements need "
                 f"xmlns=\"{TEI_NS}\"") if element is not None else ""
    return text


def _display_name(element: etree._Element | None) -> str:
    if element is None or not isinstance(element.tag, str):
        return "?"
    qname = etree.QName(element)
    if qname.namespace in (TEI_NS, None):
        return qname.localname
    return f"{element.prefix}:{qname.localname}" if element.prefix else f"{{{qname.namespace}}}{qname.localname}"


def _node_of(document: Document, entry: etree._LogEntry) -> etree._Element | None:
    """The element a log entry is about: its node path first, its line second."""
    path = entry.path or ""
    if path.startswith("/"):
        try:
            namespaces = {p: ns for p, ns in document.root.nsmap.items() if p}
            found = document.tree.xpath(path, namespaces=namespaces)
        except (etree.XPathError, TypeError):
            found = []
        for node in found if isinstance(found, list) else []:
            if isinstance(node, etree._Element) and isinstance(node.tag, str):
                return node
    if entry.line:
        on_line = [e for e in document.root.iter() if isinstance(e.tag, str) and e.sourceline == entry.line]
        if on_line:
            return on_line[-1]
    return None


_NAMED_CHILD = re.compile(r"Did not expect element (\S+) there|has extra content: (\S+)|, got (\S+)$"
                          r"|Extra element (\S+) in interleave")


def _child_named(element: etree._Element | None, message: str) -> etree._Element | None:
    """libxml2's RELAX NG validator reports at the parent; move to the child the message names."""
    match = _NAMED_CHILD.search(message.strip())
    if element is None or match is None:
        return element
    name = next(g for g in match.groups() if g)
    if local_name(element) == name:
        return element
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child
    return element


Record = tuple[str, str, "etree._Element | None", str]


def _drop_echoes(records: list[Record], siblings: bool) -> list[Record]:
    """Drop the reports libxml2 makes about the ancestors of a real error.

    An element-not-allowed report on an element that contains another
    report's element is an echo.  With ``siblings`` (libxml2's RELAX NG
    validator, which also blames the first child of a content model that
    failed further on), so is one on an element followed, under the same
    parent, by another report.
    """
    elements = [r[2] for r in records if r[2] is not None]
    kept: list[Record] = []
    for record in records:
        element = record[2]
        if element is None or record[0] not in ("E0101", "E0100"):
            kept.append(record)
            continue
        echo = any(other is not element and element in other.iterancestors() for other in elements)
        if not echo and siblings and element.getparent() is not None:
            parent = element.getparent()
            echo = any(other is not element and parent in other.iterancestors()
                       and (other.sourceline or 0) > (element.sourceline or 0) for other in elements)
        if not echo:
            kept.append(record)
    return kept


def translate_log(document: Document, log: Iterable[etree._LogEntry],
                  hidden: frozenset[str] = frozenset(), siblings: bool = False) -> list[Diagnostic]:
    """Turn a validator's error log into located diagnostics, cascades and duplicates removed.

    ``hidden`` names the TEI elements a compiled customization keeps only as
    unusable stubs: they are left out of "expected" lists, and meeting one
    is reported as an element outside the schema (E0101).
    """
    records: list[Record] = []
    root_is_tei = etree.QName(document.root).namespace == TEI_NS
    for entry in log:
        message = entry.message or ""
        if not root_is_tei and "validation root" in message:
            continue  # the document check (E0010/E0106 at the root) has said it better
        element = _child_named(_node_of(document, entry), message)
        if element is not None and element.tag.startswith(f"{{{TEI_NS}}}") and local_name(element) in hidden \
                and "not-in-this-schema" in message:
            message = (f"<{local_name(element)}> is a TEI element, but not one of this schema's "
                       "(schema/edition.odd selects the elements of our edition); use another element "
                       "or add it to the ODD and run `edition schema compile`")
            records.append(("E0101", message, element, entry.type_name))
            continue
        code = classify(message)
        if code == "E0101" and element is not None and etree.QName(element).namespace != TEI_NS:
            namespace = etree.QName(element).namespace
            code = "E0106"
            message = (f"<{_display_name(element)}> is in "
                       + (f"namespace '{namespace}'" if namespace else "no namespace")
                       + f", where the schema expects TEI elements (xmlns=\"{TEI_NS}\"); "
                       "put it in the TEI namespace, or remove it")
        records.append((code, message, element, entry.type_name))
    if not root_is_tei:
        return []  # the document check (E0010/E0106 at the root) has said all there is to say
    precise = [r for r in records if not _CASCADE.search(r[1])]
    kept = _drop_echoes(precise or records, siblings)
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, int, int, str]] = set()
    for code, message, element, _ in kept:
        text = _explain(code, message, element, hidden)
        diagnostic = document.diagnostic(element, code, text)
        key = (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.message)
        if key not in seen:
            seen.add(key)
            diagnostics.append(diagnostic)
    return diagnostics


# -- engines ---------------------------------------------------------------------

class _Background(threading.Thread):
    """One function run on a daemon thread; :meth:`result` waits, then returns or raises.

    lxml releases the GIL while libxml2 compiles an XSD, parses and validates,
    so such work runs on the second core while Python goes on with the rules.
    """

    def __init__(self, function: Callable[[], object], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._function = function
        self._value: object = None
        self._error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as error:  # noqa: BLE001 - re-raised by result(), in the caller's thread
            self._error = error

    def result(self) -> object:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


#: A validation begun on a document: call it for the findings.
Pending = Callable[[], Iterable[Diagnostic]]


class Schema:
    """A compiled schema; call :meth:`iter_problems` on documents."""

    name = "schema"

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def begin(self, document: Document) -> Pending:
        """Start validating ``document``; the returned function gives the findings.

        Engines that can (libxml2's) validate on another thread meanwhile, so that the
        caller runs the rules in parallel; the findings are those of :meth:`iter_problems`.
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
        self._compiling: _Background | None = None

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
            self._compiling = _Background(self._compile_quietly, f"compile {self.name}")

    def _compile_quietly(self) -> None:
        try:
            self._compile()
        except EditionUsageError:
            pass  # raised again where the validator is asked for

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
        result = self._begin_with(document, self._log_of, compiled_here=True)
        return lambda: self._findings(document, result())

    def _begin_with(self, document: Document, check: Callable[[etree._ElementTree], Outcome],
                    compiled_here: bool = False) -> Callable[[], Outcome]:
        """Run ``check`` on the document: for a large one now, on another thread; for a
        small one when its result is asked for (the second parse and the thread would
        cost more than they save).

        The thread checks a second parse of the document's bytes, not the document's
        own tree: libxml2 records xml:ids in a validated tree's dictionary, which the
        caller's thread shares with every file it parses, and libxml2's dictionaries are
        not safe to change from two threads.  The error log is the same (the same bytes,
        parsed with the same options), so are the findings.  ``compiled_here``: ``check``
        uses :attr:`validator`, which is then compiled in this thread first when the
        schema came as a tree (libxml2 copies such a grammar into the tree's dictionary).
        """
        if THREAD_FROM_BYTES is None or getattr(document, "size", 0) < THREAD_FROM_BYTES:
            return lambda: check(document.tree)
        if compiled_here and self._tree is not None:
            _ = self.validator

        def on_copy() -> Outcome | object:
            source = document.source  # read back here when the document let its bytes go
            return check(_parse_copy(source)) if source else _CHANGED

        job = _Background(on_copy, f"validate {document.path}")

        def result() -> Outcome:
            outcome = job.result()
            # the file changed since it was parsed: the document's own tree, in this thread
            return check(document.tree) if outcome is _CHANGED else outcome  # type: ignore[return-value]

        return result

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


#: From this size up, a document is validated on a second thread, in parallel with the
#: rules; None: never.  Off by default: the thread needs a second parse of the file (libxml2's
#: dictionaries are not thread-safe), which on the FRUS volume doubled the tree's memory
#: (peak 14x the input above the memo's run instead of 7x, against the goal of 10x) and,
#: on a quiet machine, saved nothing (0.30 s against 0.26 s; libxml2 validates the volume
#: in 0.03 s with our pruned schema or the specialised tei_all).
THREAD_FROM_BYTES: int | None = None


Outcome = TypeVar("Outcome")
_CHANGED = object()


def _parse_copy(source: bytes) -> etree._ElementTree:
    """The document parsed again, as :func:`edition.document.parse` does (same parser options)."""
    from .document import _parser
    return etree.fromstring(source, _parser(), base_url=None).getroottree()


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


class OddSchema(XsdSchema):
    """An ODD customization, compiled to XSD in memory against tei_all (see :mod:`edition.odd`)."""

    kind = "ODD"

    def _source_tree(self) -> etree._ElementTree:
        from .odd import OddError, compile_odd
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
        tags = {element.tag for element in document.root.iter(etree.Element)}
        used = frozenset(tag[len(_TEI):] for tag in tags if tag.startswith(_TEI))
        result = self._begin_with(document, lambda tree: self._log_pruned_first(tree, used))
        return lambda: self._findings(document, result())

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


_TEI = f"{{{TEI_NS}}}"
_X = f"{{{XSD_NS}}}"
_XSD_PARTICLES = frozenset(f"{_X}{name}" for name in ("element", "group", "choice", "sequence", "any"))


def prune_xsd(schema: etree._Element, used: frozenset[str]) -> etree._Element:
    """A copy of an XSD like ours cut down to what documents using only the elements ``used`` can meet.

    It accepts the same such documents as the whole schema, because only particles
    that such a document can never match go:

    * a particle is *dead* when it cannot match any sequence of the used elements:
      a reference to an unused element, a group whose content is dead, a choice of
      dead alternatives, a sequence with a dead part; a particle with
      ``minOccurs="0"`` is never dead (it matches nothing at all);
    * a choice loses its dead alternatives (unless all are: then it is dead itself,
      and stays, so that what it requires is still required);
    * a sequence loses its optional parts whose content is dead (they could only
      ever match nothing);
    * an unused element keeps its global declaration (a reference to it may remain
      in a dead particle) but not its type, whose content model libxml2 would compile.

    Attributes and simple types stay as they are.  For our XSD (target namespace
    TEI, elements referenced as ``tei:name``); any other schema is left alone.
    """
    root = etree.fromstring(etree.tostring(schema))
    if root.get("targetNamespace") != TEI_NS:
        return root
    prefix = next((p for p, ns in root.nsmap.items() if ns == TEI_NS and p), None)
    if prefix is None:
        return root
    mark = f"{prefix}:"
    groups = {g.get("name"): g for g in root.findall(f"{_X}group")}
    memo: dict[etree._Element, bool] = {}

    def particles(node: etree._Element) -> list[etree._Element]:
        return [child for child in node if child.tag in _XSD_PARTICLES]

    def dead_term(node: etree._Element) -> bool:
        found = memo.get(node)
        if found is not None:
            return found
        tag = node.tag
        if tag == f"{_X}element":
            ref = node.get("ref") or ""
            result = ref.startswith(mark) and ref[len(mark):] not in used
        elif tag == f"{_X}group":
            ref = node.get("ref") or ""
            body = particles(groups[ref[len(mark):]]) if ref.startswith(mark) and ref[len(mark):] in groups else []
            result = bool(body) and dead(body[0])
        elif tag == f"{_X}choice":
            result = all(dead(child) for child in particles(node))
        elif tag == f"{_X}sequence":
            result = any(dead(child) for child in particles(node))
        else:
            result = False
        memo[node] = result
        return result

    def dead(node: etree._Element) -> bool:
        return node.get("minOccurs") != "0" and dead_term(node)

    removed: list[etree._Element] = []
    for node in root.iter(f"{_X}choice", f"{_X}sequence"):
        children = particles(node)
        if node.tag == f"{_X}choice":
            gone = [child for child in children if dead(child)]
            if len(gone) < len(children):
                removed.extend(gone)
        else:
            removed.extend(child for child in children if child.get("minOccurs") == "0" and dead_term(child))
    for node in removed:
        node.getparent().remove(node)
    for declaration in root.findall(f"{_X}element"):
        if declaration.get("name") not in used:
            for child in list(declaration):
                declaration.remove(child)
            declaration.attrib.pop("type", None)
    return root


def edition_schema() -> XsdSchema:
    """Ours: schema/edition.xsd, compiled from schema/edition.odd (cached per process)."""
    schema = _cached(("edition",), lambda: EditionSchema(EDITION_XSD, name="edition"))
    assert isinstance(schema, XsdSchema)
    return schema


_SCHEMAS: dict[tuple[object, ...], Schema] = {}


def _cached(key: tuple[object, ...], make: Callable[[], Schema]) -> Schema:
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
        raise schema_error(f"schema file not found: {path}; give a .rng, .xsd or .odd file", str(path)) from None
    if suffix == ".rng":
        cls: type[LxmlSchema] = RelaxNGSchema
    elif suffix == ".xsd":
        cls = XsdSchema
    elif suffix == ".odd" or (suffix == ".xml" and _looks_like_odd(path)):
        cls = OddSchema
    else:
        raise schema_error(f"unknown schema type '{suffix or path.name}': give a RELAX NG (.rng, XML syntax), "
                           "an XSD (.xsd) or an ODD (.odd)", str(path))
    schema = _cached((cls.__name__, str(path.resolve()), stamp), lambda: cls(path))
    assert isinstance(schema, LxmlSchema)
    return schema.load()


def _looks_like_odd(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"schemaSpec" in handle.read(1 << 20)
    except OSError:
        return False


# -- tei_all, pruned ---------------------------------------------------------------

def _clark(name: str, nsmap: dict[str | None, str], default_ns: str) -> str:
    prefix, _, local = name.rpartition(":")
    if prefix:
        ns = XML_NS if prefix == "xml" else nsmap.get(prefix, "")
    else:
        ns = default_ns
    return f"{{{ns}}}{local}" if ns else local


def _inherited_ns(node: etree._Element, attribute_default: bool = False) -> str:
    if node.get("ns") is not None:
        return node.get("ns") or ""
    if attribute_default:
        return ""  # RELAX NG: an attribute's name has no namespace unless it says so
    for ancestor in node.iterancestors():
        if ancestor.get("ns") is not None:
            return ancestor.get("ns") or ""
    return ""


Names = tuple[frozenset[str], frozenset[str]]


def vocabulary(documents: Iterable[etree._ElementTree | etree._Element]) -> Names:
    """The Clark names of the elements and of the attributes that the documents use."""
    elements: set[str] = set()
    attributes: set[str] = set()
    for document in documents:
        root = document.getroot() if isinstance(document, etree._ElementTree) else document
        for element in root.iter():
            if isinstance(element.tag, str):
                elements.add(element.tag)
                attributes.update(element.attrib)
    return frozenset(elements), frozenset(attributes)


def vocabulary_of_files(paths: Iterable[Path]) -> Names:
    """Like :func:`vocabulary`, streaming files (unparseable ones are skipped: they fail earlier)."""
    elements: set[str] = set()
    attributes: set[str] = set()
    for path in paths:
        try:
            for _, element in etree.iterparse(str(path), events=("start",), resolve_entities=False,
                                              no_network=True, load_dtd=False):
                if isinstance(element.tag, str):
                    elements.add(element.tag)
                    attributes.update(element.attrib)
        except (etree.XMLSyntaxError, OSError):
            continue
    return frozenset(elements), frozenset(attributes)


def prune_tei_all(grammar: etree._ElementTree, elements: frozenset[str],
                  attributes: frozenset[str]) -> etree._Element:
    """tei_all.rng cut down to what documents using only these names can meet.

    Same verdicts as the whole grammar for any document whose element and
    attribute names are within ``elements`` and ``attributes``, because
    every change only touches patterns such a document can never match:

    * an element pattern whose name the documents never use is replaced by
      one shared stub element (in a namespace no document uses), so that a
      content model that *requires* such an element still fails, as before;
    * then RELAX NG's own simplification of unsatisfiable patterns drops
      the choices that only the stub could take (:func:`_unsatisfiable`);
    * an optional attribute whose name the documents never use is dropped
      (its absence was valid, and still is); a required one keeps its name
      but its value becomes text (it is missing either way);
    * annotations and embedded Schematron go (RELAX NG validators ignore
      them; jing too, without its -s option) and so do definitions no longer
      reachable from ``start``.

    Compiling tei_all whole takes libxml2 15–25 s; the pruned grammar of
    the FRUS volume (48 elements) or the memo (109) compiles in about 0.01 s.
    Both kinds of pruning are needed: with every attribute kept, libxml2
    takes minutes over some grammars (the memo's), exponential somewhere in
    its attribute handling.
    """
    root = etree.fromstring(etree.tostring(grammar))
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or not node.tag.startswith(_R):
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
    defines = {d.get("name"): d for d in root.iter(f"{_R}define")}
    dropped: set[str] = set()
    for name, define in defines.items():
        children = [c for c in define if isinstance(c.tag, str)]
        if len(children) == 1 and children[0].tag == f"{_R}element" and children[0].get("name"):
            pattern = children[0]
            element = _clark(pattern.get("name"), pattern.nsmap, _inherited_ns(pattern))
            if element not in elements:
                dropped.add(name)
    for name in dropped:
        define = defines.pop(name)
        define.getparent().remove(define)
    stub = etree.SubElement(root, f"{_R}define", name=_ABSENT)
    stub_element = etree.SubElement(stub, f"{_R}element")
    etree.SubElement(stub_element, f"{_R}name", ns="urn:x-edition:never-used").text = "absent"
    etree.SubElement(stub_element, f"{_R}empty")
    for ref in root.iter(f"{_R}ref"):
        if ref.get("name") in dropped:
            ref.set("name", _ABSENT)
    for attribute in list(root.iter(f"{_R}attribute")):
        name = attribute.get("name")
        if name is None:
            continue
        if _clark(name, attribute.nsmap, _inherited_ns(attribute, attribute_default=True)) in attributes:
            continue
        parent = attribute.getparent()
        if parent.tag == f"{_R}optional" and len(parent) == 1:
            empty = etree.Element(f"{_R}empty")
            empty.tail = parent.tail
            parent.getparent().replace(parent, empty)
        else:
            for child in list(attribute):
                attribute.remove(child)
            etree.SubElement(attribute, f"{_R}text")
    _drop_unsatisfiable(root, defines)
    _drop_redundant_empty(root)
    defines[_ABSENT] = stub
    reachable: set[str] = set()
    stack = [root.find(f"{_R}start")]
    while stack:
        node = stack.pop()
        for ref in node.iter(f"{_R}ref"):
            target = ref.get("name")
            if target not in reachable and target in defines:
                reachable.add(target)
                stack.append(defines[target])
    for name, define in defines.items():
        if name not in reachable:
            define.getparent().remove(define)
    return root


_NAME_CLASSES = {f"{_R}{n}" for n in ("name", "anyName", "nsName", "except")}
_LEAVES = {f"{_R}{n}" for n in ("data", "value", "text", "empty", "param", "notAllowed")}
_ABSENT = "edition.absent"


def _unsatisfiable(node: etree._Element, dead: set[str]) -> bool:
    """Whether ``node`` can only match absent elements; prunes the alternatives that can.

    RELAX NG's own simplification of notAllowed (spec section 4.19), with
    the stub in its place: a choice loses its dead branches, an optional or
    repeated dead part becomes empty, a group with a dead part is dead.  An
    element whose content is dead keeps its name (so the error names it).
    Without this, libxml2 validates choices full of stubs by backtracking,
    30 times slower than on the compiled automaton.
    """
    tag = node.tag
    if tag == f"{_R}ref":
        return node.get("name") in dead
    if tag in _NAME_CLASSES or tag in _LEAVES:
        return False
    children = [c for c in node if isinstance(c.tag, str) and c.tag not in _NAME_CLASSES]
    if tag == f"{_R}choice":
        alive = 0
        for child in children:
            if _unsatisfiable(child, dead):
                node.remove(child)
            else:
                alive += 1
        return alive == 0
    outcome = [_unsatisfiable(child, dead) for child in children]
    if not any(outcome):
        return False
    if tag in (f"{_R}zeroOrMore", f"{_R}optional"):
        empty = etree.Element(f"{_R}empty")
        empty.tail = node.tail
        node.getparent().replace(node, empty)
        return False
    if tag == f"{_R}element":
        for child in children:
            node.remove(child)
        etree.SubElement(node, f"{_R}ref", name=_ABSENT)
        return False
    return True


def _drop_unsatisfiable(root: etree._Element, defines: dict[str, etree._Element]) -> None:
    dead = {_ABSENT}
    while True:
        newly = {name for name, define in defines.items()
                 if name not in dead and _unsatisfiable(define, dead)}
        if not newly:
            break
        dead |= newly
    for name in dead - {_ABSENT}:
        define = defines.pop(name)
        define.getparent().remove(define)
    start = root.find(f"{_R}start")
    if _unsatisfiable(start, dead):
        for child in list(start):
            start.remove(child)
        etree.SubElement(start, f"{_R}ref", name=_ABSENT)
    for ref in root.iter(f"{_R}ref"):
        if ref.get("name") in dead:
            ref.set("name", _ABSENT)


_GROUPING = {f"{_R}{n}" for n in ("group", "element", "define", "oneOrMore", "zeroOrMore", "optional",
                                   "interleave", "mixed", "start")}


def _drop_redundant_empty(root: etree._Element) -> None:
    """group(empty, p) is p (RELAX NG simplification, spec section 4.20).

    The pruning leaves ``<empty/>`` where optional parts were; libxml2
    mis-validates some groups that hold them (it rejected a valid minimal
    TEI document: "body has extra content: div"), so they go.
    """
    for empty in list(root.iter(f"{_R}empty")):
        parent = empty.getparent()
        if parent is None or parent.tag not in _GROUPING:
            continue
        siblings = [c for c in parent if isinstance(c.tag, str) and c is not empty and c.tag not in _NAME_CLASSES]
        if siblings:
            parent.remove(empty)


#: Each element name (Clark) of a document → the attribute names (Clark) its occurrences carry.
Profile = dict[str, frozenset[str]]


def attribute_profile(tree: etree._ElementTree) -> Profile:
    """Which attributes each element of the document carries (its :func:`vocabulary` too)."""
    found: dict[str, set[str]] = {}
    for element in tree.getroot().iter(etree.Element):
        keys = element.keys()
        seen = found.get(element.tag)
        if seen is None:
            found[element.tag] = set(keys)
        elif keys:
            seen.update(keys)
    return {tag: frozenset(keys) for tag, keys in found.items()}


_ATTRIBUTE_PARTS = frozenset(f"{_R}{n}" for n in ("optional", "choice", "group", "empty", "attribute", "ref"))
_WRAPPERS = frozenset(f"{_R}{n}" for n in ("group", "optional", "zeroOrMore", "oneOrMore"))


def _outside_attributes(node: etree._Element) -> Iterator[etree._Element]:
    """The patterns under ``node``, but not those inside attribute patterns (their values)."""
    stack = [child for child in node if isinstance(child.tag, str)]
    while stack:
        current = stack.pop()
        yield current
        if current.tag != f"{_R}attribute":
            stack.extend(child for child in current if isinstance(child.tag, str))


def specialize_attributes(grammar: etree._Element, profile: Profile) -> etree._ElementTree:
    """A pruned tei_all grammar cut to the attributes each element of the documents carries.

    Same verdicts as ``grammar`` for documents whose elements carry only the
    attributes ``profile`` gives them: into each element pattern, the definitions
    made of attributes only (the attribute classes) are copied in place of their
    references, and there an optional attribute the element never carries goes,
    as :func:`prune_tei_all` does for the names no element carries.

    Why: libxml2 compiles an element's content model into an automaton only when
    it holds no attribute pattern, and validates the others by backtracking.  With
    the attribute classes referenced by every element, no content model compiled;
    now those of the elements that carry no attribute do (the FRUS volume: 0.03 s
    instead of 0.25 s).
    """
    root = etree.fromstring(etree.tostring(grammar))
    defines = {d.get("name"): d for d in root.iter(f"{_R}define")}
    attributes_only: dict[str, bool] = {}

    def only_attributes(name: str, seen: frozenset[str] = frozenset()) -> bool:
        known = attributes_only.get(name)
        if known is not None:
            return known
        if name in seen or name not in defines:
            return False
        result = all(node.tag in _ATTRIBUTE_PARTS
                     and (node.tag != f"{_R}ref" or only_attributes(node.get("name", ""), seen | {name}))
                     for node in _outside_attributes(defines[name]))
        attributes_only[name] = result
        return result

    def owner(node: etree._Element) -> etree._Element | None:
        return next(node.iterancestors(f"{_R}element"), None)

    for element in list(root.iter(f"{_R}element")):
        if not element.get("name"):
            continue
        carried = profile.get(_clark(element.get("name"), element.nsmap, _inherited_ns(element)), frozenset())
        inlined = True
        while inlined:
            inlined = False
            for ref in [r for r in element.iter(f"{_R}ref") if owner(r) is element]:
                if not only_attributes(ref.get("name", "")):
                    continue
                parent = ref.getparent()
                copies = [etree.fromstring(etree.tostring(child)) for child in defines[ref.get("name")]
                          if isinstance(child.tag, str)]
                if parent is element or parent.tag == f"{_R}group":
                    # spliced into the group (an element's children are one): libxml2 mis-validates
                    # attributes in nested groups after mixed content ("extra content: text")
                    at = parent.index(ref)
                    parent.remove(ref)
                    for offset, copied in enumerate(copies):
                        parent.insert(at + offset, copied)
                else:
                    group = etree.Element(f"{_R}group")
                    group.extend(copies)
                    parent.replace(ref, group)
                inlined = True
        for optional in [o for o in element.iter(f"{_R}optional", f"{_R}zeroOrMore") if owner(o) is element]:
            parts = list(_outside_attributes(optional))
            if optional.getparent() is None or any(n.tag not in _ATTRIBUTE_PARTS or n.tag == f"{_R}ref" for n in parts):
                continue
            names = [a.get("name") for a in optional.iter(f"{_R}attribute")]
            if not names or not all(names):
                continue  # a name class (anyName): left as it is
            attributes = [_clark(a.get("name"), a.nsmap, _inherited_ns(a, attribute_default=True))
                          for a in optional.iter(f"{_R}attribute")]
            if not any(name in carried for name in attributes):
                empty = etree.Element(f"{_R}empty")
                empty.tail = optional.tail
                optional.getparent().replace(optional, empty)
    _collapse_empty(root)
    return etree.ElementTree(root)


def _collapse_empty(root: etree._Element) -> None:
    """group(empty, empty) is empty, so is optional(empty); then :func:`_drop_redundant_empty`."""
    while True:
        before = etree.tostring(root)
        for node in reversed(list(root.iter(*_WRAPPERS))):  # the innermost first
            parent = node.getparent()
            children = [child for child in node if isinstance(child.tag, str)]
            if parent is not None and children and all(child.tag == f"{_R}empty" for child in children):
                empty = etree.Element(f"{_R}empty")
                empty.tail = node.tail
                parent.replace(node, empty)
        _drop_redundant_empty(root)
        if etree.tostring(root) == before:
            return


_QUICK: dict[str, etree.RelaxNG] = {}
#: libxml2 compiles a specialized grammar in milliseconds, but takes forever over a few
#: (a self-recursive element such as citeStructure with its attributes inlined): the
#: first compilation of each runs in a child process given this long, once per grammar.
QUICK_COMPILE_SECONDS = 1.0


def _compiles_in_time(grammar: bytes, seconds: float) -> bool:
    """Whether libxml2 compiles ``grammar`` within ``seconds`` (tried in a forked child)."""
    if not hasattr(os, "fork"):
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            etree.RelaxNG(etree.fromstring(grammar))
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + seconds
    pause = 0.002
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


class TeiAllSchema(Schema):
    """The official tei_all (RELAX NG, the reference semantics of TEI conformance), pruned.

    A document is validated against tei_all pruned to the names it uses
    (:func:`prune_tei_all`).  Pruned grammars are compiled once per name set
    and process, and their text is kept in the cache folder keyed by a hash,
    so a later run only parses a small file.  For a corpus, give the union
    of the names of all files (:meth:`for_files`): one grammar serves every
    document, and it travels to worker processes as two sets of names.
    """

    name = "tei-all"

    def __init__(self, rng: Path | None = None, names: Names | None = None) -> None:
        self.rng = Path(rng) if rng else tei_p5_dir() / "tei_all.rng"
        self.names = names

    @classmethod
    def for_files(cls, paths: Iterable[Path], rng: Path | None = None) -> TeiAllSchema:
        return cls(rng, vocabulary_of_files(paths))

    def _grammar(self) -> etree._ElementTree:
        key = ("tei-all-grammar", str(self.rng))
        cached = _GRAMMARS.get(key)
        if cached is None:
            if not self.rng.is_file():
                raise schema_error(
                    f"tei_all.rng not found at {self.rng}: --tei-all needs the TEI P5 schemas "
                    "(the toolkit ships TEI P5 4.8.0's; set EDITION_TEI_P5 to a folder holding another release's)",
                    str(self.rng))
            cached = etree.parse(str(self.rng))
            _GRAMMARS[key] = cached
        return cached

    def _key(self, names: Names) -> str:
        digest = hashlib.sha256()
        try:
            stat = self.rng.stat()
        except OSError:
            self._grammar()  # raises the E0107 explanation
            raise
        digest.update(f"{self.rng.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\0v5\0".encode())
        for group in names:
            digest.update("\0".join(sorted(group)).encode() + b"\1")
        return digest.hexdigest()[:24]

    def validator_for(self, names: Names) -> RelaxNGSchema:
        """The compiled pruned grammar for these names (memory, then disk cache, then pruning)."""
        key = self._key(names)
        schema = _SCHEMAS.get(("tei-all", key))
        if schema is None:
            stored = cache.read("tei-all", f"{key}.rng")
            tree = None
            if stored is not None:
                try:
                    tree = etree.ElementTree(etree.fromstring(stored, _GRAMMAR_PARSER))
                except etree.XMLSyntaxError:
                    cache.discard("tei-all", f"{key}.rng", "it is not well-formed")
            if tree is None:
                pruned = prune_tei_all(self._grammar(), *names)
                tree = etree.ElementTree(pruned)
                cache.write("tei-all", f"{key}.rng", etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
            schema = RelaxNGSchema(tree=tree, name="tei-all")
            _SCHEMAS[("tei-all", key)] = schema
        assert isinstance(schema, RelaxNGSchema)
        return schema

    def quick_for(self, names: Names, profile: Profile) -> etree.RelaxNG | None:
        """The pruned grammar further cut to the attributes each element carries, compiled.

        :func:`specialize_attributes` lets libxml2 compile most content models into
        automata: the FRUS volume validates in 0.03 s instead of 0.25 s.  Kept in the
        cache folder beside the pruned grammar; None when it cannot be built.
        """
        digest = hashlib.sha256(f"{self._key(names)}\0quick-v1\0".encode())
        for element, attributes in sorted(profile.items()):
            digest.update(f"{element}\1{chr(2).join(sorted(attributes))}\0".encode())
        key = digest.hexdigest()[:24]
        compiled = _QUICK.get(key)
        if compiled is not None:
            return compiled
        if cache.folder() is None:
            return None  # without the cache, the trial compilation below would be paid on every run
        if cache.exists("tei-all", f"{key}.refused"):
            return None
        stored = cache.read("tei-all", f"{key}.quick.rng")
        if stored is not None:
            try:
                compiled = etree.RelaxNG(etree.fromstring(stored, _GRAMMAR_PARSER))
            except (etree.XMLSyntaxError, etree.RelaxNGParseError):
                cache.discard("tei-all", f"{key}.quick.rng", "it does not compile")
                compiled = None
        if compiled is None:
            pruned = self.validator_for(names)._source_tree()
            text = etree.tostring(specialize_attributes(pruned.getroot(), profile),
                                  xml_declaration=True, encoding="UTF-8")
            if not _compiles_in_time(text, QUICK_COMPILE_SECONDS):
                cache.write("tei-all", f"{key}.refused", b"")
                return None
            try:
                compiled = etree.RelaxNG(etree.fromstring(text))
            except (etree.XMLSyntaxError, etree.RelaxNGParseError):
                return None
            cache.write("tei-all", f"{key}.quick.rng", text)
        _QUICK[key] = compiled
        return compiled

    def _validator_of(self, document: Document) -> RelaxNGSchema:
        names = vocabulary([document.tree])
        if self.names is not None and names[0] <= self.names[0] and names[1] <= self.names[1]:
            names = self.names
        return self.validator_for(names)

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        yield from self._validator_of(document).iter_problems(document)

    def begin(self, document: Document) -> Pending:
        """A document alone (not one of a corpus sharing a grammar) is checked against
        :meth:`quick_for`'s grammar first; when that fails, the pruned grammar, whose
        messages are the ones reported, decides (in this thread, once the other is done)."""
        if self.names is not None:
            return self._validator_of(document).begin(document)
        profile = attribute_profile(document.tree)
        names = (frozenset(profile), frozenset().union(*profile.values()))
        pruned = self.validator_for(names)
        quick = self.quick_for(names, profile)
        if quick is None:
            return pruned.begin(document)

        valid = pruned._begin_with(document, quick.validate)
        return lambda: [] if valid() else list(pruned.iter_problems(document))


_GRAMMARS: dict[tuple[str, str], etree._ElementTree] = {}
#: Cached grammars are our own output, read back without a network or entities.
_GRAMMAR_PARSER = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)


# -- choosing ----------------------------------------------------------------------

class _WithFindings(Schema):
    """A schema plus findings about how it was chosen (W0108), reported with its own."""

    def __init__(self, schema: Schema | None, findings: list[Diagnostic]) -> None:
        self.schema = schema
        self.findings = findings
        self.name = schema.name if schema else "none"

    def iter_problems(self, document: Document) -> Iterator[Diagnostic]:
        yield from self.findings
        if self.schema is not None:
            yield from self.schema.iter_problems(document)

    def begin(self, document: Document) -> Pending:
        pending = self.schema.begin(document) if self.schema is not None else None
        return lambda: [*self.findings, *(pending() if pending is not None else ())]


SchemaChoice = Union[None, str, Path, Schema]

_MODEL_SUFFIXES = (".rng", ".xsd", ".odd")


def xml_model_schema(document: Document) -> tuple[Schema | None, list[Diagnostic]]:
    """The schema a document names in ``<?xml-model href=…?>``, when it is a local file.

    Returns the engine (None when there is no usable local one) and the
    findings: W0108 for a schema on the network (never fetched), E0107 for
    a local one that is missing or broken.
    """
    findings: list[Diagnostic] = []
    node = document.root.getprevious()
    pis: list[etree._ProcessingInstruction] = []
    while node is not None:
        if isinstance(node, etree._ProcessingInstruction) and node.target == "xml-model":
            pis.append(node)
        node = node.getprevious()
    for pi in reversed(pis):
        href = pi.get("href")
        schematypens = pi.get("schematypens") or ""
        if not href or "schematron" in schematypens:
            continue
        parsed = urlparse(href)
        line = pi.sourceline or 0
        if parsed.scheme not in ("", "file"):
            findings.append(Diagnostic.make(
                "W0108", f"<?xml-model?> names {href}, which is not a local file and is never fetched; "
                "validating against our schema instead (use --tei-all for the official tei_all)",
                path=document.path, line=line, column=1))
            continue
        base = Path(document.path).parent if document.path and not document.path.startswith("<") else Path.cwd()
        target = Path(unquote(parsed.path))
        target = target if target.is_absolute() else base / target
        if target.suffix.lower() not in _MODEL_SUFFIXES:
            findings.append(Diagnostic.make(
                "W0108", f"<?xml-model?> names {href}, which is not a .rng, .xsd or .odd schema; ignored",
                path=document.path, line=line, column=1))
            continue
        try:
            return schema_from_file(target), findings
        except EditionUsageError as error:
            findings.append(Diagnostic.make(
                "E0107", f"<?xml-model?> names {href}: {error.diagnostic.message}",
                path=document.path, line=line, column=1))
            return None, findings
    return None, findings


def resolve_schema(choice: SchemaChoice, document: Document) -> Schema | None:
    """The engine for one document.

    ``None``: the document's own local ``<?xml-model?>`` schema, else ours
    (W0108 when it names one on the network); ``"edition"``: ours;
    ``"tei-all"``: the official tei_all, pruned; ``"none"``: no schema; a
    path: RELAX NG, XSD or ODD by suffix; a :class:`Schema`: itself.
    Raises :class:`EditionUsageError` (E0107) for a schema that cannot load.
    """
    if isinstance(choice, Schema):
        return choice
    if choice is None:
        schema, findings = xml_model_schema(document)
        if schema is None and not any(f.code == "E0107" for f in findings):
            schema = edition_schema()
        return _WithFindings(schema, findings) if findings else schema
    if choice == "none":
        return None
    if choice == "edition":
        return edition_schema()
    if choice in ("tei-all", "tei_all"):
        return _cached(("tei-all-default",), TeiAllSchema)
    return schema_from_file(Path(choice))


def prepare(choice: SchemaChoice, paths: Iterable[Path]) -> SchemaChoice:
    """Resolve a run-wide choice once before many files are validated.

    For ``"tei-all"`` the union of the names of all files is computed here,
    once, so that one pruned grammar serves every file and every worker
    process; a schema file is compiled here so that a broken one fails
    before any work starts.
    """
    if choice in ("tei-all", "tei_all"):
        return TeiAllSchema.for_files(paths)
    if isinstance(choice, (str, Path)) and choice not in ("none", "edition"):
        return schema_from_file(Path(choice))
    return choice
