"""XInclude confined to a root folder.

A TEI file may include parts of other files (the FRUS volumes include the shared date and
head taxonomies: ``<xi:include href="../shared/frus-dates.xml" xpointer="frus-dates"/>``).
Includes are resolved only within a *root*: the folder given (``--root``, ``load(root=…)``),
else the input's checkout (the nearest ancestor folder holding ``.git``), else the current
folder when the input lies inside it, else the input's own folder.

Each include is checked before anything is opened: a URL scheme, an absolute path, a path
that leaves the root (``../`` beyond it, or a symbolic link pointing outside), an include
loop and nesting beyond :data:`MAX_DEPTH` are refused.  A refused or unresolvable include
(a missing file, a pointer to nothing) is one E0009 error on the include; the include is
dropped and the rest of the file is checked and built as usual.  An included file goes
through the same safe parser as the input (:meth:`edition.parsed.ParsedFile.from_bytes`: no DTD,
no entities, the size limits), and its elements keep their own file, line and column
(``ParsedFile.origins``).

libxml2's own XInclude is not used: it opens ``parse="text"`` includes (and the includes of
included files) itself, in C, past any Python resolver, so it cannot be confined.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lxml import etree

from .diagnostics import Diagnostic, EditionParseError
from .parsed import ParsedFile
from .source import read_source

XINCLUDE_NS = "http://www.w3.org/2001/XInclude"
XI_INCLUDE = f"{{{XINCLUDE_NS}}}include"
#: The namespace of the 2003 drafts, which some older files still use: refused with a reason.
OLD_XINCLUDE_NS = "http://www.w3.org/2003/XInclude"
#: How deep includes may nest (a file including a file including …).
MAX_DEPTH = 8

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NCNAME = re.compile(r"^[A-Za-z_][\w.-]*$")
_ELEMENT_SCHEME = re.compile(r"^element\(([^)]*)\)$")
_XPOINTER_ID = re.compile(r"""^xpointer\(\s*id\(\s*(["'])([^"']+)\1\s*\)\s*\)$""")


#: What all the includes of one input may add up to: as much as one input may be (bytes and
#: tags, see edition.document), so that a file including a file ten times that includes another
#: ten times… (an "include bomb", XInclude's billion laughs) stops there.
MAX_INCLUDED_BYTES = 64 * 1024 * 1024
MAX_INCLUDED_MARKUP = 1_000_000


class _Budget:
    # plain classes here, not dataclasses: those compile their methods when the module loads
    # (0.8 ms each), on the start-up of every command that reads a file
    __slots__ = ("size", "tags")

    def __init__(self, size: int = MAX_INCLUDED_BYTES, tags: int = MAX_INCLUDED_MARKUP) -> None:
        self.size = size
        self.tags = tags

    def charge(self, data: bytes = b"") -> None:
        """Count ``data`` against the budget (nothing: check that some is left)."""
        self.size -= len(data)
        self.tags -= data.count(b"<")
        if self.size < 0 or self.tags < 0 or (not data and (self.size == 0 or self.tags == 0)):
            raise _Refused(f"the includes of this file add up to more than {MAX_INCLUDED_BYTES:,} bytes or "
                           f"{MAX_INCLUDED_MARKUP:,} tags, the safety limit (the same file included many "
                           "times over?)")


class Includes:
    """How the includes of one input are resolved: whether at all, and within which folder.

    ``chain``: the real paths of the files being included, outermost first (loop detection);
    ``budget``: what the includes of the input may still add (shared by every level)."""

    __slots__ = ("root", "enabled", "chain", "budget")

    def __init__(self, root: Path, enabled: bool = True, chain: tuple[str, ...] = (),
                 budget: _Budget | None = None) -> None:
        self.root = root
        self.enabled = enabled
        self.chain = chain
        self.budget = budget if budget is not None else _Budget()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Includes):
            return NotImplemented
        return (self.root, self.enabled, self.chain) == (other.root, other.enabled, other.chain)

    def __hash__(self) -> int:
        return hash((self.root, self.enabled, self.chain))

    def __repr__(self) -> str:
        return f"Includes(root={self.root!r}, enabled={self.enabled!r}, chain={self.chain!r})"


#: What :func:`edition.document.load` does when not told: (root or None for the default rules,
#: enabled).  Set for a whole run by :func:`settings` (the command line's ``--root`` and
#: ``--no-xinclude``); worker processes are forked, so they inherit it.
_DEFAULTS: tuple[Path | None, bool] = (None, True)


@contextmanager
def settings(root: str | os.PathLike[str] | None = None, enabled: bool = True) -> Iterator[None]:
    """Within this block, files are loaded with includes resolved within ``root`` (or not at all)."""
    global _DEFAULTS
    before = _DEFAULTS
    _DEFAULTS = (Path(root) if root is not None else None, enabled)
    try:
        yield
    finally:
        _DEFAULTS = before


def defaults() -> tuple[Path | None, bool]:
    """The root given to this run (None: the default rules) and whether includes are on."""
    return _DEFAULTS


def find_root(folder: str | os.PathLike[str], given: str | os.PathLike[str] | None = None) -> Path:
    """The folder that includes of a file in ``folder`` must stay within (see the module's docstring)."""
    if given is not None:
        return Path(os.path.realpath(given))
    folder = Path(os.path.abspath(folder))
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return Path(os.path.realpath(candidate))
    here = Path(os.path.abspath(os.curdir))
    if folder.is_relative_to(here):
        return Path(os.path.realpath(here))
    return Path(os.path.realpath(folder))


def has_includes(data: bytes) -> bool:
    """Whether a file's bytes may hold includes (the incremental build cannot tell whether the
    files they include have changed, so such a file is always parsed again)."""
    return XINCLUDE_NS.encode() in data


def resolve_includes(document: ParsedFile, folder: Path | None, includes: Includes) -> None:
    """Replace every ``xi:include`` of ``document`` by what it names, or drop it with E0009.

    ``folder`` is the folder of the file the document was read from (None for bytes given
    without one).  Findings go to ``document.problems``; included elements are recorded in
    ``document.origins`` with the document of the file they come from.
    """
    found = [element for element in document.root.iter(XI_INCLUDE, f"{{{OLD_XINCLUDE_NS}}}include")
             if not any(ancestor.tag == XI_INCLUDE for ancestor in element.iterancestors())]
    if not found:
        return
    for element in found:
        try:
            _include(document, element, folder, includes)
        except _Refused as refusal:
            document.problems.append(_refusal(document, element, str(refusal)))
            _drop(element)
    # xpath_of remembers containers' paths; the tree has changed beneath them
    document.__dict__.pop("_container_paths", None)


class _Refused(Exception):
    """Why one include is not resolved (the message of its E0009)."""


def _refusal(document: ParsedFile, element: etree._Element, reason: str) -> Diagnostic:
    href = element.get("href")
    pointer = element.get("xpointer")
    named = f'href="{href}"' if href is not None else f'xpointer="{pointer}"'
    return document.located(element, "E0009", f"xi:include {named} is not resolved: {reason}; the file "
                            "is checked without the included content")


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    _splice_text(element, element.tail or "")
    parent.remove(element)


def _splice_text(element: etree._Element, text: str) -> None:
    """Put ``text`` where ``element`` stands (before it is removed)."""
    if not text:
        return
    parent = element.getparent()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    elif parent is not None:
        parent.text = (parent.text or "") + text


def _target(href: str, folder: Path | None, includes: Includes) -> Path:
    """The real path of the file ``href`` names, once it is known to lie within the root."""
    if not includes.enabled:
        raise _Refused("XInclude is off (--no-xinclude, or load(xinclude=False))")
    if _SCHEME.match(href):
        raise _Refused("a URL; only files within the root folder are included, never the network "
                       f"or another scheme (root: {includes.root})")
    if href.startswith(("/", "\\")) or os.path.isabs(href):
        raise _Refused(f"an absolute path; name the file relative to the including file, within the root "
                       f"folder {includes.root}")
    if folder is None:
        raise _Refused("the document was given as bytes, without the folder its includes are relative to")
    lexical = Path(os.path.normpath(_real(folder) / href))
    if not lexical.is_relative_to(includes.root):
        raise _Refused(f"it leaves the root folder {includes.root}; give --root a folder that holds both "
                       "files, or copy the file into the root")
    real = _real(lexical)
    if not real.is_relative_to(includes.root):
        raise _Refused(f"a symbolic link that points outside the root folder {includes.root}")
    if str(real) in includes.chain:
        raise _Refused("an include loop (the file includes itself, directly or through other files)")
    if len(includes.chain) >= MAX_DEPTH:
        raise _Refused(f"includes nest more than {MAX_DEPTH} deep")
    if not os.path.lexists(real):
        raise _Refused(f"no such file ({lexical}); correct the href")
    return real


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path, strict=False))
    except (OSError, RuntimeError):  # a loop of symbolic links
        raise _Refused("the path cannot be resolved (a loop of symbolic links?)") from None


def _shown(document: ParsedFile, href: str) -> str:
    """How an included file is named in diagnostics: beside the including file's shown path."""
    base = os.path.dirname(document.path)
    return os.path.normpath(os.path.join(base, href)) if base else os.path.normpath(href)


def _include(document: ParsedFile, element: etree._Element, folder: Path | None, includes: Includes) -> None:
    if element.tag != XI_INCLUDE:
        raise _Refused(f"the namespace {OLD_XINCLUDE_NS} is a withdrawn draft; use {XINCLUDE_NS}")
    href = element.get("href", "")
    parse_as = element.get("parse", "xml")
    if parse_as not in ("xml", "text"):
        raise _Refused(f'parse="{parse_as}" is neither "xml" nor "text"')
    if not href:
        raise _Refused("an include without href (a pointer into the same file) is not supported; "
                       "name the file")
    parent = element.getparent()
    if parent is None:
        raise _Refused("the root element itself cannot be an include")
    target = _target(href, folder, includes)
    includes.budget.charge()  # spent: the file is not even read
    shown = _shown(document, href)
    try:
        data = read_source(target, shown)
    except EditionParseError as error:
        raise _Refused(f"the file cannot be read ({error.diagnostic.message})") from None
    includes.budget.charge(data)
    if parse_as == "text":
        if element.get("xpointer") is not None:
            raise _Refused('xpointer is not allowed with parse="text"')
        encoding = element.get("encoding") or "utf-8"
        try:
            text = data.decode(encoding)
            _splice_text(element, text + (element.tail or ""))
        except (LookupError, UnicodeDecodeError):
            raise _Refused(f"the file is not text in the encoding {encoding}") from None
        except ValueError:  # lxml refuses characters XML does not allow
            raise _Refused("the file holds characters XML does not allow") from None
        parent.remove(element)
        return
    inner = Includes(includes.root, includes.enabled, (*includes.chain, str(target)), includes.budget)
    try:
        included = ParsedFile.from_bytes(data, shown)
    except EditionParseError as error:
        raise _Refused(f"the included file is refused: {error.diagnostic}") from None
    resolve_includes(included, target.parent, inner)
    replacement = _point(included, element.get("xpointer"))
    document.problems.extend(included.problems)
    document.origins.update(included.origins)
    document.origins[replacement] = included
    replacement.tail = element.tail
    parent.replace(element, replacement)


def _point(document: ParsedFile, pointer: str | None) -> etree._Element:
    """The element an ``xpointer`` selects: a bare id, ``element(id/1/2)``, ``element(/1/3)``
    or ``xpointer(id('x'))``; the whole file without one."""
    if pointer is None:
        return document.root
    pointer = pointer.strip()
    identifier, steps = "", ""
    if _NCNAME.match(pointer):
        identifier = pointer
    elif match := _XPOINTER_ID.match(pointer):
        identifier = match.group(2)
    elif match := _ELEMENT_SCHEME.match(pointer):
        body = match.group(1).strip()
        identifier, _, steps = ("", "", body[1:]) if body.startswith("/") else body.partition("/")
    else:
        raise _Refused(f'xpointer="{pointer}" is not supported: use an xml:id, element(id/1/2) or '
                       "element(/1/2)")
    if identifier:
        node = document.ids.get(identifier)
        if node is None:
            raise _Refused(f"xpointer=\"{pointer}\": no xml:id '{identifier}' in {document.path}")
    else:
        node = None
    for step in steps.split("/") if steps else ():
        if not step.isdigit() or int(step) < 1:
            raise _Refused(f'xpointer="{pointer}": "{step}" is not a child number (1, 2, …)')
        children = [document.root] if node is None else [c for c in node if isinstance(c.tag, str)]
        if int(step) > len(children):
            raise _Refused(f'xpointer="{pointer}" points to no element of {document.path}')
        node = children[int(step) - 1]
    if node is None:
        raise _Refused(f'xpointer="{pointer}" selects no element')
    return node
