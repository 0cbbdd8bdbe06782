"""The behaviour vocabulary and the table's rows: what a writer implements, and :func:`m` to write a row.

Below the behaviour table (:mod:`edition.transforms.behaviours`) and the data module of the rest of
TEI P5's rows (:mod:`edition.transforms.vocabulary`), which both write their rows with :func:`m`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

#: The behaviours every writer implements, with what each means.
VOCABULARY: Mapping[str, str] = MappingProxyType({
    "document": "a citable document division (a FRUS document): title, dateline, body, notes",
    "block": "a generic block container (div, opener, closer, lg, …)",
    "heading": "a heading; its level comes from the nesting of divisions",
    "paragraph": "a paragraph; carries its canonical reference as id",
    "inline": "a generic inline span (hi, emph, title, foreign, …); classes come from @rend",
    "list": "a list (numbered when @rend or @type says so)",
    "item": "a list item",
    "label": "a label of a list item or a gloss list",
    "table": "a table",
    "row": "a table row",
    "cell": "a table cell",
    "note": "a note: a call at its place, its text among the notes (source note first)",
    "page-break": "a break to a printed page: a linkable marker such as [Page 594]",
    "line-break": "a line break",
    "link": "a link (ref, ptr): local targets become anchors, others external links",
    "alternate": "two readings (choice: sic/corr, abbr/expan, orig/reg): reading and diplomatic",
    "quote": "a quotation (q, quote, said); the quotation marks are the source's own text",
    "entity": "a name or term pointing to an authority entry (persName, placeName, orgName, term, …)",
    "date": "a date or time with its machine-readable value",
    "figure": "a figure or graphic with its description",
    "gap": "an omission in the source, shown as an editorial marker",
    "metadata": "the TEI header: shown as document metadata where an output has a place for it",
    "pass": "no rendering of its own: only its content (text, body, front, back)",
    "omit": "deliberately not rendered in this output (the table says so; never by accident)",
    "fallback": "an element the table does not know: its content, marked, and a W0301 warning",
})


@dataclass(frozen=True)
class Model:
    """One rule of the table: behaviour, when (predicate), for which outputs, with what params."""

    behaviour: str
    predicate: str | None = None
    output: str | None = None
    classes: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.behaviour not in VOCABULARY:
            raise ValueError(f"unknown behaviour {self.behaviour!r}; the vocabulary is {sorted(VOCABULARY)}")


#: The explicit fallback for elements the table does not know.
FALLBACK = Model("fallback")


def m(behaviour: str, predicate: str | None = None, output: str | None = None,
      classes: Iterable[str] = (), **params: str) -> Model:
    return Model(behaviour, predicate, output, tuple(classes), MappingProxyType(dict(params)))
