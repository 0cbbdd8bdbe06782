"""Named queries: the questions scholars ask of every edition, by name.

``edition query --list`` shows them; ``edition query @persons tei/`` (or
``--named persons``) runs one.  Each is an XPath expression selecting the
hits, plus optional parts evaluated per hit (``value``: what is shown;
``key``: what hits are grouped or sorted by) and per group (``label``: read
on the authority entry the key points to).  A grouped query answers with
one line per key and its mention count; a sorted one (``dates``) is a
timeline.

A user's own queries live in a TOML file of theirs, given with
``--queries FILE``; each table is one query::

    [letters]
    description = "Letters, by their heading"
    xpath = "//div[@type='document'][contains(head, 'Letter')]"
    value = "normalize-space(head)"      # optional
    key = "string(@n)"                   # optional
    group = false                        # optional: count hits per key
    sort = false                         # optional: order hits by key
    label = "persName[1]"                # optional: on the entry a '#id' key names

A user's query of the same name as a shipped one replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .diagnostics import EditionUsageError
from .query import Plan
from .query_output import SHOWN_REFS, Group, Output, group_hits, sort_hits, write_results  # noqa: F401 - re-exported

__all__ = ["NamedQuery", "BUILTIN", "load_queries", "named_queries", "lookup", "Group", "group_hits",
           "sort_hits", "Output", "write_results", "list_lines"]


@dataclass(frozen=True)
class NamedQuery:
    """One named question: XPath for the hits, optional value/key/label parts."""

    name: str
    description: str
    xpath: str
    value: str = ""
    key: str = ""
    label: str = ""
    group: bool = False
    sort: bool = False
    source: str = "built-in"

    def plan(self, namespaces: Mapping[str, str] | None = None, variables: Mapping[str, Any] | None = None,
             engine: str = "auto", markup: bool = False) -> Plan:
        return Plan(self.xpath, tuple(sorted((namespaces or {}).items())),
                    tuple(sorted((variables or {}).items())), engine, self.value, self.key, self.label,
                    markup)


def _mentions(element: str, entry: str) -> NamedQuery:
    return NamedQuery(
        name=f"{entry}s" if entry != "person" else "persons",
        description=f"{element} mentions in the text, counted per authority entry (@ref or @corresp)",
        # names inside an authority list (the entry's own name, with xml:id) are not mentions
        xpath=f"//text//{element}[not(@xml:id) and not(ancestor::{entry})]",
        value="normalize-space(.)",
        key="string((@ref | @corresp)[1])",
        label=f"{element}[1] | self::*[not({element})]",
        group=True)


#: The queries shipped with the toolkit, in the order ``--list`` shows them.
BUILTIN: dict[str, NamedQuery] = {q.name: q for q in (
    _mentions("persName", "person"),
    _mentions("placeName", "place"),
    replace(_mentions("orgName", "org"), name="organisations",
            description="orgName mentions in the text, counted per authority entry (@ref or @corresp)"),
    NamedQuery(
        "dates", "dates in the text as a timeline, ordered by their ISO value (@when, @from, @notBefore)",
        "//text//date | //text//origDate",
        value="normalize-space(concat(string((@when | @from | @notBefore | @notAfter | @to)[1]), ' ', .))",
        key="string((@when | @from | @notBefore | @notAfter | @to)[1])",
        sort=True),
    NamedQuery("quotations", "direct quotations (q, quote, said) in the text",
               "//text//q | //text//quote | //text//said", value="normalize-space(.)"),
    NamedQuery("notes", "notes (source notes, footnotes) in the text, with their number",
               "//text//note",
               value="normalize-space(concat(@n, ' ', .))"),
    NamedQuery("pagebreaks", "page breaks of the printed edition, with page number and facsimile",
               "//text//pb", value="normalize-space(concat('page ', @n, ' ', @facs))"),
    NamedQuery("corrections", "editorial corrections: the printed reading (sic) → the correction (corr)",
               "//text//choice[sic or corr] | //text//sic[not(parent::choice)] | //text//corr[not(parent::choice)]",
               value="normalize-space(concat(sic, self::sic, ' → ', corr, self::corr))"),
)}

_FIELDS = {"description": str, "xpath": str, "value": str, "key": str, "label": str, "group": bool,
           "sort": bool}


def load_queries(path: str | Path) -> dict[str, NamedQuery]:
    """A user's named queries from a TOML file (usage error E0901 when malformed)."""
    import tomllib  # only for a user's file: the start-up of every query does not pay for it

    shown = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise EditionUsageError.at("E0901", f"cannot read the queries file: {error.strerror}",
                                   path=shown) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise EditionUsageError.at("E0901", f"the queries file is not valid TOML: {error}", path=shown) from None
    found: dict[str, NamedQuery] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise EditionUsageError.at("E0901", f"'{name}' must be a table ([{name}]) with an xpath",
                                       path=shown)
        unknown = sorted(set(table) - set(_FIELDS))
        if unknown:
            raise EditionUsageError.at("E0901", f"query '{name}': unknown field '{unknown[0]}'; "
                                       f"fields are {', '.join(_FIELDS)}", path=shown)
        for key, kind in _FIELDS.items():
            if key in table and not isinstance(table[key], kind):
                raise EditionUsageError.at("E0901", f"query '{name}': {key} must be a {kind.__name__}",
                                           path=shown)
        if not table.get("xpath", "").strip():
            raise EditionUsageError.at("E0901", f"query '{name}' has no xpath", path=shown)
        found[name] = NamedQuery(name=name, source=shown, **{"description": "", **table})
    return found


def named_queries(user_file: str | Path | None = None) -> dict[str, NamedQuery]:
    """Shipped queries, then the user's (which win on a name clash)."""
    queries = dict(BUILTIN)
    if user_file is not None:
        queries.update(load_queries(user_file))
    return queries


def lookup(name: str, queries: Mapping[str, NamedQuery]) -> NamedQuery:
    """The named query, or a usage error (E0503) listing the names there are."""
    query = queries.get(name)
    if query is None:
        raise EditionUsageError.at("E0503", f"no named query '{name}'; the named queries are "
                                   f"{', '.join(queries)} (edition query --list)")
    return query


def list_lines(queries: Mapping[str, NamedQuery]) -> list[str]:
    """``--list``: name, what it answers, where it comes from, and its XPath."""
    width = max((len(name) for name in queries), default=0)
    lines: list[str] = []
    for query in queries.values():
        origin = "" if query.source == "built-in" else f" (from {query.source})"
        lines.append(f"{query.name:<{width}}  {query.description}{origin}")
        lines.append(f"{'':<{width}}    {query.xpath}")
    return lines
