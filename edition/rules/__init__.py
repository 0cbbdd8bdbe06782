"""Integrity rules: what a schema cannot say about a TEI file.

A schema checks that each element and attribute is allowed where it stands;
these rules check that the parts of a file agree with each other: ids are
unique, local pointers reach an element (and the right kind of element),
dates are real dates in order and agree with their printed text, notes and
pages are numbered in sequence, and no paragraph or heading is empty.

Each rule is registered in :data:`RULES` with its codes and a one-line
description; :func:`iter_rule_problems` runs them all.  The rules read one
index of the file (:class:`Facts`, in :mod:`.facts`), built in a single pass over the tree, so
that a 3 MB volume is checked in a fraction of a second.  A module a concern: :mod:`.pointers`
(ids, pointers, kinds of entries), :mod:`.dates`, :mod:`.numbering` (notes, pages),
:mod:`.blocks` (empty paragraphs and heads).

The rules work on any TEI, not only ours: a pointer that is not local (a URL,
an image name such as ``facs="0626"``, a page of the same web site such as
``../chapter-7#fn67``) is not checked; one into an XML file beside this one
(``volume.xml#d14``) is checked against that file's ids, or noted (W0210) when
the file is missing.  Attributes of other vocabularies (SVG, the examples of
``egXML``) are not TEI pointers.  A note or page number that is not a number
(``n="*"``, ``n="A1"``) is left out of its sequence, and a printed date is
compared with ``@when`` only when it is a plain date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..diagnostics import CODES, Diagnostic, EditionUsageError
from ..document import Document
from .blocks import check_empty_blocks
from .dates import PrintedDate, TemporalValue, check_dates, check_printed_dates, parse_printed_date, parse_temporal
from .facts import Facts, Target, classify, facts_of
from .numbering import check_note_numbers, check_page_numbers
from .pointers import check_pointer_kinds, check_pointers, check_unique_ids

__all__ = ["RULES", "Rule", "rule", "iter_rule_problems", "Facts", "facts_of", "Target", "classify",
           "TemporalValue", "parse_temporal", "PrintedDate", "parse_printed_date"]

Check = Callable[[Document], Iterator[Diagnostic]]


@dataclass(frozen=True)
class Rule:
    """One integrity rule: a stable name, the codes it may emit, what it checks."""

    name: str
    codes: tuple[str, ...]
    description: str
    check: Check


#: Every rule, by name, in the order they run.
RULES: dict[str, Rule] = {}


def rule(name: str, *codes: str) -> Callable[[Check], Check]:
    """Register ``check`` as a rule; its docstring's first line is the description."""

    def register(check: Check) -> Check:
        if name in RULES:
            raise ValueError(f"rule {name!r} registered twice")
        unknown = [code for code in codes if code not in CODES]
        if unknown:
            raise ValueError(f"rule {name!r} emits undeclared codes {unknown}")
        description = (check.__doc__ or "").strip().splitlines()[0] if check.__doc__ else name
        RULES[name] = Rule(name, codes, description, check)
        return check

    return register


def iter_rule_problems(document: Document, rules: Iterable[str] | None = None) -> Iterator[Diagnostic]:
    """Every finding of the integrity rules on ``document`` (all rules, or those named)."""
    if rules is None:
        chosen = list(RULES.values())
    else:
        names = list(rules)
        unknown = [name for name in names if name not in RULES]
        if unknown:
            raise EditionUsageError.at("E0901", f"no rule named {', '.join(map(repr, unknown))}; "
                                       f"the rules are: {', '.join(RULES)}")
        chosen = [RULES[name] for name in names]
    for each in chosen:
        yield from each.check(document)


# The rules, in the order they run (and their findings are reported).
for _name, _codes, _check in (
        ("unique-ids", ("E0201",), check_unique_ids),
        ("pointers", ("E0202", "W0210"), check_pointers),
        ("pointer-kinds", ("E0203",), check_pointer_kinds),
        ("dates", ("E0204", "E0205"), check_dates),
        ("printed-dates", ("W0206",), check_printed_dates),
        ("note-numbers", ("E0207",), check_note_numbers),
        ("page-numbers", ("E0208",), check_page_numbers),
        ("empty-blocks", ("E0209",), check_empty_blocks)):
    rule(_name, *_codes)(_check)
