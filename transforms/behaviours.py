"""The behaviour table: which TEI element does what, for every output.

One table (after CETEIcean's behaviours and TEI Publisher's processing
model) maps each TEI element to an ordered list of :class:`Model`\\ s.  A
model has an optional XPath ``predicate`` and an optional ``output``; the
first model that fits the element and the writer's outputs wins.  Elements
the table does not know get the explicit :data:`FALLBACK` model, and the
engine reports them (W0301): no writer ever drops content silently.

The rows of the elements our editions use most are here; every other element
of TEI P5 has its row in the data module :mod:`edition.transforms.vocabulary`
(after TEI simplePrint's processing models), which also gives whole namespaces
a behaviour (:meth:`BehaviourTable.add_namespace`: the TEI's own examples).

Each behaviour name is one method of every writer (see
:class:`edition.transforms.engine.Writer`); the vocabulary is :data:`VOCABULARY`.
Predicates are compiled once, when the table is built, so a bad predicate
fails at import time with its element name, not in the middle of a build.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from lxml import etree

from edition.document import NAMESPACES, TEI_NS

from .models import FALLBACK, VOCABULARY, Model, m  # noqa: F401 - VOCABULARY: re-exported, the API
from .vocabulary import FOREIGN_ROWS, NAMESPACE_ROWS, ROWS

# Why predicates use XPath 1.0 with the tei prefix: lxml compiles and runs
# them natively, thousands of times per volume, at C speed.
DEFAULT_TABLE: dict[str, tuple[Model, ...]] = {
    # structure
    "TEI": (m("pass"),),
    "teiCorpus": (m("pass"),),
    "teiHeader": (m("metadata", output="web"), m("omit")),
    "standOff": (m("omit"),),
    "facsimile": (m("omit"),),
    "text": (m("pass"),),
    "group": (m("pass"),),
    "front": (m("pass"),),
    "body": (m("pass"),),
    "back": (m("pass"),),
    "div": (m("document", "@type='document'"),
            m("block", classes=("division",))),
    "div1": (m("block", classes=("division",)),),
    "div2": (m("block", classes=("division",)),),
    "div3": (m("block", classes=("division",)),),
    "floatingText": (m("block", classes=("floating-text",)),),
    "head": (m("heading"),),
    "p": (m("paragraph"),),
    "ab": (m("paragraph"),),
    "argument": (m("block", classes=("argument",)),),
    "epigraph": (m("block", classes=("epigraph",)),),
    "trailer": (m("block", classes=("trailer",)),),
    "postscript": (m("block", classes=("postscript",)),),
    "opener": (m("block", classes=("opener",)),),
    "closer": (m("block", classes=("closer",)),),
    "dateline": (m("block", classes=("dateline",)),),
    "salute": (m("block", classes=("salute",)),),
    "signed": (m("block", classes=("signed",)),),
    "byline": (m("block", classes=("byline",)),),
    "docAuthor": (m("inline", classes=("doc-author",)),),
    "docDate": (m("date"),),
    "titlePage": (m("block", classes=("title-page",)),),
    "docTitle": (m("block", classes=("doc-title",)),),
    "titlePart": (m("block", classes=("title-part",)),),
    "docImprint": (m("block", classes=("doc-imprint",)),),
    "address": (m("block", classes=("address",)),),
    "addrLine": (m("block", classes=("addr-line",)),),
    "lg": (m("block", classes=("line-group",)),),
    "l": (m("block", classes=("verse-line",)),),
    "sp": (m("block", classes=("speech",)),),
    "speaker": (m("inline", classes=("speaker",)),),
    "stage": (m("inline", classes=("stage",)),),
    # lists and tables
    "list": (m("list"),),
    "item": (m("item"),),
    "label": (m("label"),),
    "listBibl": (m("list", classes=("bibliography",)),),
    "table": (m("table"),),
    "row": (m("row"),),
    "cell": (m("cell"),),
    # notes and pages
    "note": (m("note"),),
    "pb": (m("page-break"),),
    "lb": (m("line-break"),),
    "cb": (m("omit"),),
    "milestone": (m("omit"),),
    "fw": (m("omit"),),
    "anchor": (m("inline", classes=("anchor",)),),
    # linking
    "ref": (m("link"),),
    "ptr": (m("link"),),
    # editorial
    "choice": (m("alternate"),),
    "sic": (m("inline", classes=("sic",)),),
    "corr": (m("inline", classes=("corr",)),),
    "orig": (m("inline", classes=("orig",)),),
    "reg": (m("inline", classes=("reg",)),),
    "abbr": (m("inline", classes=("abbr",)),),
    "expan": (m("inline", classes=("expan",)),),
    "add": (m("inline", classes=("add",)),),
    "del": (m("inline", classes=("del",)),),
    "unclear": (m("inline", classes=("unclear",)),),
    "supplied": (m("inline", classes=("supplied",)),),
    "gap": (m("gap"),),
    "space": (m("inline", classes=("space",)),),
    # quotation
    "q": (m("block", "tei:p or tei:lg or tei:list", classes=("quote",)), m("quote")),
    "quote": (m("block", "tei:p or tei:lg or tei:list", classes=("quote",)), m("quote")),
    "said": (m("quote"),),
    "cit": (m("inline", classes=("cit",)),),
    # names, terms and dates
    "persName": (m("entity", kind="person"),),
    "placeName": (m("entity", kind="place"),),
    "geogName": (m("entity", kind="place"),),
    "orgName": (m("entity", kind="org"),),
    "name": (m("entity", kind="name"),),
    "rs": (m("entity", kind="name"),),
    "term": (m("entity", kind="term"),),
    "gloss": (m("entity", kind="term"),),
    "roleName": (m("inline", classes=("role-name",)),),
    "forename": (m("inline", classes=("forename",)),),
    "surname": (m("inline", classes=("surname",)),),
    "date": (m("date"),),
    "time": (m("date"),),
    # phrase level
    "hi": (m("inline"),),
    "emph": (m("inline", classes=("italic",)),),
    "title": (m("inline", classes=("italic",)),),
    "foreign": (m("inline", classes=("foreign",)),),
    "mentioned": (m("inline", classes=("italic",)),),
    "soCalled": (m("quote"),),
    "seg": (m("inline"),),
    "num": (m("inline", classes=("num",)),),
    "measure": (m("inline", classes=("measure",)),),
    "idno": (m("inline", classes=("idno",)),),
    "bibl": (m("item", "parent::tei:listBibl", classes=("bibl",)), m("inline", classes=("bibl",))),
    "biblScope": (m("inline", classes=("bibl-scope",)),),
    "author": (m("inline", classes=("author",)),),
    "editor": (m("inline", classes=("editor",)),),
    "publisher": (m("inline", classes=("publisher",)),),
    "pubPlace": (m("inline", classes=("pub-place",)),),
    "affiliation": (m("inline", classes=("affiliation",)),),
    "code": (m("inline", classes=("code",)),),
    "figure": (m("figure"),),
    "graphic": (m("figure"),),
    "figDesc": (m("inline", classes=("fig-desc",)),),
}


#: A tag's decision for one writer: its model, or its (compiled predicate or None, model) in order.
Resolved = Model | tuple[tuple[etree.XPath | None, Model], ...]


class BehaviourTable:
    """The table compiled: predicates become lxml XPath objects, once."""

    def __init__(self, table: Mapping[str, Iterable[Model]], namespace: str = TEI_NS,
                 fallback: Model = FALLBACK) -> None:
        self.namespace = namespace
        self.fallback = fallback
        self._models: dict[str, tuple[Model, ...]] = {}
        self._compiled: dict[str, etree.XPath] = {}
        #: namespace → models of every element of that namespace the table does not name
        self._namespaces: dict[str, tuple[Model, ...]] = {}
        #: outputs → {tag: its one model, or its (predicate, model) candidates} (see :meth:`resolver`)
        self._resolvers: dict[frozenset[str], dict[str, Resolved]] = {}
        for name, models in table.items():
            self.add(name, models)

    def add(self, name: str, models: Iterable[Model], override: bool = False) -> None:
        """Map an element (a TEI local name, or ``{namespace}local``) to its models."""
        key = self._key(name)
        if key in self._models and not override:
            raise ValueError(f"element {name!r} is already in the behaviour table; pass override=True")
        models = tuple(models) if not isinstance(models, Model) else (models,)
        self._compile(name, models)
        self._models[key] = models
        self._resolvers.clear()

    def _compile(self, name: str, models: tuple[Model, ...]) -> None:
        for model in models:
            if model.predicate and model.predicate not in self._compiled:
                try:
                    self._compiled[model.predicate] = etree.XPath(
                        f"boolean({model.predicate})", namespaces=NAMESPACES)
                except etree.XPathSyntaxError as error:
                    raise ValueError(f"behaviour table: predicate {model.predicate!r} of <{name}> "
                                     f"is not valid XPath 1.0: {error}") from None

    def add_namespace(self, namespace: str, models: Iterable[Model]) -> None:
        """Give every element of ``namespace`` that the table does not name these models."""
        models = tuple(models)
        self._compile(f"{{{namespace}}}*", models)
        self._namespaces[namespace] = models
        self._resolvers.clear()

    def _key(self, name: str) -> str:
        return name if name.startswith("{") else f"{{{self.namespace}}}{name}"

    def __contains__(self, name: str) -> bool:
        return self._key(name) in self._models

    def elements(self) -> list[str]:
        return sorted(self._models)

    def models(self, tag: str) -> tuple[Model, ...]:
        return self._models.get(tag, ())

    def select(self, element: etree._Element, outputs: Iterable[str]) -> Model | None:
        """The first model that fits; None when the element is not in the table."""
        models = self._models.get(element.tag)
        if models is None:
            tag = element.tag
            models = self._namespaces.get(tag[1:tag.find("}")]) if tag[:1] == "{" else None
            if models is None:
                return None
        wanted = set(outputs)
        for model in models:
            if model.output is not None and model.output not in wanted:
                continue
            if model.predicate is None or self._compiled[model.predicate](element):
                return model
        return self.fallback

    def resolver(self, outputs: Iterable[str]) -> dict[str, Resolved]:
        """What :meth:`select` decides for one writer's outputs, by tag, filled as tags are met.

        Why: a renderer asks for every element of every page; the models of the other outputs
        are dropped once here, and a tag whose first fitting model has no predicate (most of
        them) is one dictionary look-up.  Use :meth:`pick` on an entry; a tag the table does not
        know is never entered (ask :meth:`select`)."""
        key = frozenset(outputs)
        found = self._resolvers.get(key)
        if found is None:
            found = self._resolvers[key] = {}
        return found

    def resolve(self, resolved: dict[str, Resolved], tag: str, outputs: Iterable[str]) -> Resolved | None:
        """Enter ``tag`` in a :meth:`resolver` map; None when the table does not know it."""
        models = self._models.get(tag)
        if models is None:
            models = self._namespaces.get(tag[1:tag.find("}")]) if tag[:1] == "{" else None
            if models is None:
                return None
        wanted = set(outputs)
        candidates: list[tuple[etree.XPath | None, Model]] = []
        for model in models:
            if model.output is not None and model.output not in wanted:
                continue
            if model.predicate is None:
                if not candidates:
                    resolved[tag] = model
                    return model
                candidates.append((None, model))
                break
            candidates.append((self._compiled[model.predicate], model))
        entry: Resolved = tuple(candidates) if candidates else self.fallback
        resolved[tag] = entry
        return entry

    def pick(self, entry: Resolved, element: etree._Element) -> Model:
        """The model a :meth:`resolver` entry gives ``element`` (as :meth:`select` would)."""
        if isinstance(entry, Model):
            return entry
        for predicate, model in entry:
            if predicate is None or predicate(element):
                return model
        return self.fallback

    def unreachable(self) -> Iterator[tuple[str, Model]]:
        """Models that can never fire: placed after an unconditional model of the same output."""
        for tag, models in self._models.items():
            closed: set[str | None] = set()
            for model in models:
                if None in closed or model.output in closed:
                    yield tag, model
                if model.predicate is None:
                    closed.add(model.output)


#: The table every writer uses unless given another.
def _default() -> BehaviourTable:
    # the rest of the TEI vocabulary is a data module of its own (its rows are written with models.m)
    table = BehaviourTable({**ROWS, **DEFAULT_TABLE, **FOREIGN_ROWS})
    for namespace, models in NAMESPACE_ROWS.items():
        table.add_namespace(namespace, models)
    return table


DEFAULT = _default()
