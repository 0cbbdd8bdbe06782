"""Escaping and safe names for the HTML writers: nothing from the source reaches a page otherwise.

Every piece of TEI text goes through :func:`escape`, every attribute value through
:func:`attribute`, every id and class through :func:`safe_id` / :func:`safe_class`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from lxml import etree

from edition.document import tei

from .stage import plain_text

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")
_CLASS_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
#: A language tag HTML's lang= can carry (anything else is left out).
LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_NOTE = tei("note")


def escape(text: str) -> str:
    """Text content: & < > escaped."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def attribute(text: str) -> str:
    """An attribute value for double quotes."""
    return escape(text).replace('"', "&quot;")


@lru_cache(maxsize=16384)  # entry keys and page-break anchors recur on every page that names them
def safe_id(value: str) -> str:
    """An id (and URL fragment) from any string: no spaces, no markup, never empty."""
    cleaned = _ID_UNSAFE.sub("_", value.strip())
    return cleaned or "_"


@lru_cache(maxsize=4096)
def safe_class(value: str) -> str:
    # a page asks for the same few dozen class names thousands of times
    return _CLASS_UNSAFE.sub("", value)


def plain(element: etree._Element, skip: frozenset[str] = frozenset({_NOTE})) -> str:
    """Text of an element by the transform stage's rules (titles, labels, sorting): notes left
    out unless ``skip`` is empty."""
    return plain_text(element, notes=_NOTE not in skip)


def _classes(*groups: Iterable[str]) -> str:
    """The class attribute's value: tokens made safe, the first of each kept, in order."""
    if len(groups) == 1 and type(groups[0]) is tuple:
        return _class_value(groups[0])  # the usual call: one tuple, of a few dozen kinds in a page
    seen: list[str] = []
    for group in groups:
        for token in group:
            token = safe_class(token)
            if token and token not in seen:
                seen.append(token)
    return " ".join(seen)


@lru_cache(maxsize=4096)
def _class_value(tokens: tuple[str, ...]) -> str:
    return _classes(list(tokens))


def _rend(node: etree._Element) -> list[str]:
    rend = node.get("rend")
    return rend.split() if rend else []

