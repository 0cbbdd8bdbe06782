"""The official tei_all, pruned to a document's names, then specialised to its attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from lxml import etree

from .. import cache
from ..diagnostics import Diagnostic
from ..document import Document
from ..parsed import attribute_profile as profile_under
from ..speed import finishes_in_time
from .engines import Pending, RelaxNGSchema, Schema, cached
from .paths import _R, schema_error, tei_p5_dir
from .pruning import Names, _clark, _drop_redundant_empty, _inherited_ns, prune_tei_all, vocabulary_of_files

#: Each element name (Clark) of a document → the attribute names (Clark) its occurrences carry.
Profile = dict[str, frozenset[str]]


def attribute_profile(tree: etree._ElementTree) -> Profile:
    """Which attributes each element of the document carries (its :func:`vocabulary` too);
    a parsed document has its own, computed once (``ParsedFile.attribute_profile``)."""
    return profile_under(tree.getroot())


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
    return finishes_in_time(lambda: etree.RelaxNG(etree.fromstring(grammar)), seconds)


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
        grammar = _GRAMMARS.get(key)
        if grammar is None:
            if not self.rng.is_file():
                raise schema_error(
                    f"tei_all.rng not found at {self.rng}: --tei-all needs the TEI P5 schemas "
                    "(the toolkit ships TEI P5 4.8.0's; set EDITION_TEI_P5 to a folder holding another release's)",
                    str(self.rng))
            grammar = etree.parse(str(self.rng))
            _GRAMMARS[key] = grammar
        return grammar

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

        def make() -> RelaxNGSchema:
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
            return RelaxNGSchema(tree=tree, name="tei-all")

        schema = cached(("tei-all", key), make)
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
        names = document.vocabulary
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
        profile, names = document.attribute_profile, document.vocabulary
        quick = self.quick_for(names, profile)
        if quick is None:
            return self.validator_for(names).begin(document)
        # the pruned grammar (read back and compiled: 5 ms on the volume) only when it must speak
        return lambda: [] if quick.validate(document.tree) else list(self.validator_for(names).iter_problems(document))


_GRAMMARS: dict[tuple[str, str], etree._ElementTree] = {}
#: Cached grammars are our own output, read back without a network or entities.
_GRAMMAR_PARSER = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=True)
