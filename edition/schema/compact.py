"""RELAX NG compact syntax (.rnc) read into the XML syntax, which libxml2 validates with.

What validation needs of the OASIS Compact Syntax (2002): declarations (``namespace``,
``default namespace``, ``datatypes``), definitions (``=``, ``|=``, ``&=``, ``start``, ``div``),
every pattern (``element``, ``attribute``, ``list``, ``mixed``, references, ``parent``,
``empty``, ``text``, ``notAllowed``, ``grammar``, values, datatypes with parameters and
exceptions, ``,`` ``|`` ``&`` and ``? * +``) and name classes (names, ``ns:*``, ``*``,
choices and exceptions); ``\\x{…}`` escapes, the four kinds of literal and literals joined by
``~``, keywords escaped as identifiers (``\\include``).  Annotations (``[…]``, ``>> x […]``,
``##`` documentation, grammar-level annotation elements) say nothing a validator reads and
are left out.  ``include`` reads the file it names beside the including one (with its block of
definitions that replace the file's); an ``external`` pattern is refused (E0107) rather than read
half.  The FRUS repository's own grammar, ``schema/frus.rnc``, is the file of this
kind that a FRUS editor validates with (tests/test_schema_compact.py checks the verdicts
against jing's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

RNG = "http://relaxng.org/ns/structure/1.0"
XSD_DATATYPES = "http://www.w3.org/2001/XMLSchema-datatypes"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_R = f"{{{RNG}}}"

KEYWORDS = frozenset({"attribute", "default", "datatypes", "div", "element", "empty", "external", "grammar",
                      "include", "inherit", "list", "mixed", "namespace", "notAllowed", "parent", "start",
                      "string", "text", "token"})

_ESCAPE = re.compile(r"\\x+\{([0-9A-Fa-f]+)\}")
_NCNAME = r"[^\W\d][\w.\-]*"
_TOKEN = re.compile(rf"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\n]*)
  | (?P<literal>\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"[^"]*"|'[^']*')
  | (?P<nsname>{_NCNAME}:\*)
  | (?P<cname>{_NCNAME}:{_NCNAME})
  | (?P<name>\\?{_NCNAME})
  | (?P<op>\|=|&=|>>|[=,|&?*+\-~{{}}()\[\]])
""", re.VERBOSE)


class CompactSyntaxError(ValueError):
    """The text is not RELAX NG compact syntax that this reader takes; ``line`` and ``column``
    say where (1-based), ``path`` in which file when it is one the grammar includes."""

    def __init__(self, message: str, line: int, column: int, path: str | None = None) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message, self.line, self.column, self.path = message, line, column, path


@dataclass(frozen=True)
class _Token:
    kind: str  # name (identifier or keyword), cname, nsname, literal, op, end
    value: str
    offset: int
    escaped: bool = False  # an identifier written \name: never a keyword


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _error(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "literal":
            quote = 3 if value[:3] in ('"""', "'''") else 1
            found.append(_Token("literal", value[quote:-quote], position))
        elif kind == "name":
            found.append(_Token("name", value.lstrip("\\"), position, value.startswith("\\")))
        elif kind not in ("space", "comment"):
            found.append(_Token(kind, value, position))
        position = match.end()
    found.append(_Token("end", "", len(text)))
    return found


def _error(text: str, offset: int, message: str) -> CompactSyntaxError:
    line = text.count("\n", 0, offset) + 1
    return CompactSyntaxError(message, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def to_xml_syntax(source: str, path: Path | None = None) -> etree._ElementTree:
    """The grammar of a compact-syntax text, as an RNG (XML syntax) tree; raises
    :class:`CompactSyntaxError` where it cannot be read.  ``path``: the file the text is,
    whose folder the files it includes are found in."""
    try:
        tree = _Reader(_unescaped(source), path).read()
        _attributes_first(tree.getroot())
    except RecursionError:
        raise CompactSyntaxError("patterns or includes nest too deep to be read", 1, 1,
                                 str(path) if path is not None else None) from None
    return tree


#: What XML text may hold (XML 1.0, production Char): a literal holding anything else cannot
#: become a grammar in the XML syntax.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _unescaped(source: str) -> str:
    """``\\x{…}`` escapes replaced by their characters (the syntax's first step, before tokens)."""
    text = source.replace("\r\n", "\n")

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        if code > 0x10FFFF or _NOT_XML.match(chr(code)):
            raise _error(text, match.start(), f"the escape {match.group()} is not a character XML allows")
        return chr(code)

    return _ESCAPE.sub(character, text)


#: How deep includes may nest (a grammar that includes itself is refused before that).
_MAX_INCLUDES = 32


_WRAPPERS = frozenset(f"{_R}{name}" for name in ("group", "interleave", "choice", "optional", "zeroOrMore",
                                                  "oneOrMore"))


def _attributes_first(grammar: etree._Element) -> None:
    """In every group, the parts that only match attributes go first.

    The same grammar, since attributes have no order; but libxml2's RELAX NG validator refuses
    an attribute that a group names after an element's content where that content may be empty
    (``category`` of the FRUS grammar: ``((catDesc+ | gloss*), category*), att.global.attributes``
    rejected every ``xml:id`` that jing accepts).  The XML syntax the TEI's tools write keeps
    the compact syntax's order, so the schemas libxml2 is given here are put this way round."""
    defines: dict[str, list[etree._Element]] = {}
    for define in grammar.iter(f"{_R}define"):
        defines.setdefault(define.get("name", ""), []).append(define)
    known: dict[str, bool] = {}

    def only_attributes(pattern: etree._Element) -> bool:
        tag = pattern.tag
        if tag in (f"{_R}attribute", f"{_R}empty"):
            return True
        if tag in _WRAPPERS:
            return all(only_attributes(child) for child in pattern)
        if tag == f"{_R}ref":
            name = pattern.get("name", "")
            if name not in known:
                known[name] = False  # a reference back into itself is content, not attributes
                known[name] = bool(defines.get(name)) and all(
                    only_attributes(child) for define in defines[name] for child in define)
            return known[name]
        return False

    for group in grammar.iter(f"{_R}group", f"{_R}interleave"):
        parts = list(group)
        ordered = [part for part in parts if only_attributes(part)] + \
                  [part for part in parts if not only_attributes(part)]
        if ordered != parts:
            for part in parts:
                group.remove(part)
            group.extend(ordered)


def _components(grammar: etree._Element, name: str) -> list[etree._Element]:
    """The ``define`` or ``start`` elements of a grammar's own level (inside its divisions, not
    inside a nested ``grammar``)."""
    found: list[etree._Element] = []
    for child in grammar:
        if child.tag == f"{_R}{name}":
            found.append(child)
        elif child.tag == f"{_R}div":
            found.extend(_components(child, name))
    return found


class _Reader:
    def __init__(self, text: str, path: Path | None = None, inherited: str = "",
                 including: tuple[Path, ...] = ()) -> None:
        self.text = text
        self.path = path
        self.including = including  # the files that include this one, outermost first
        try:
            self.tokens = _tokens(text)
        except CompactSyntaxError as error:
            error.path = str(path) if path is not None and including else None
            raise
        self.at = 0
        self.prefixes: dict[str, str] = {"xml": XML_NS}
        self.inherited = inherited
        self.default_ns = inherited
        self.datatypes: dict[str, str] = {"xsd": XSD_DATATYPES}

    # -- tokens ----------------------------------------------------------------------
    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.token
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str, token: _Token | None = None) -> CompactSyntaxError:
        token = token or self.token
        shown = token.value or "the end of the file"
        error = _error(self.text, token.offset, f"{message}, found {shown!r}")
        error.path = str(self.path) if self.path is not None and self.including else None
        return error

    def is_op(self, value: str, token: _Token | None = None) -> bool:
        token = token or self.token
        return token.kind == "op" and token.value == value

    def expect(self, value: str) -> None:
        if not self.is_op(value):
            raise self.fail(f"expected {value!r}")
        self.take()

    def is_keyword(self, word: str, token: _Token | None = None) -> bool:
        token = token or self.token
        return token.kind == "name" and not token.escaped and token.value == word

    def literal(self) -> str:
        if self.token.kind != "literal":
            raise self.fail("expected a literal")
        parts = [self.checked(self.take())]
        while self.is_op("~"):
            self.take()
            if self.token.kind != "literal":
                raise self.fail("expected a literal after '~'")
            parts.append(self.checked(self.take()))
        return "".join(parts)

    def checked(self, token: _Token) -> str:
        bad = _NOT_XML.search(token.value)
        if bad is not None:
            raise self.fail(f"this literal holds {bad.group()!r}, a character XML does not allow", token)
        return token.value

    # -- annotations (left out) ---------------------------------------------------------
    def skip_brackets(self) -> None:
        """``[ … ]`` with whatever it holds, nested brackets and literals included."""
        self.expect("[")
        depth = 1
        while depth:
            token = self.take()
            if token.kind == "end":
                raise self.fail("unclosed '['", token)
            if token.kind == "op" and token.value == "[":
                depth += 1
            elif token.kind == "op" and token.value == "]":
                depth -= 1

    def skip_annotations(self) -> None:
        while self.is_op("["):
            self.skip_brackets()

    def skip_follow_annotations(self) -> None:
        while self.is_op(">>"):
            self.take()
            if self.token.kind not in ("name", "cname"):
                raise self.fail("expected an annotation element after '>>'")
            self.take()
            self.skip_brackets()

    # -- the file ------------------------------------------------------------------------
    def read(self) -> etree._ElementTree:
        while self.is_keyword("namespace") or self.is_keyword("default") or self.is_keyword("datatypes"):
            self.declaration()
        grammar = etree.Element(f"{_R}grammar", nsmap={None: RNG})
        if self.starts_grammar_content():
            self.grammar_content(grammar, until_end=True)
        else:
            start = etree.SubElement(grammar, f"{_R}start")
            start.append(self.pattern())
            if self.token.kind != "end":
                raise self.fail("expected the end of the file")
        return etree.ElementTree(grammar)

    def declaration(self) -> None:
        if self.is_keyword("datatypes"):
            self.take()
            prefix = self.take().value
            self.expect("=")
            self.datatypes[prefix] = self.literal()
            return
        default = self.is_keyword("default")
        if default:
            self.take()
        if not self.is_keyword("namespace"):
            raise self.fail("expected 'namespace'")
        self.take()
        prefix = self.take().value if self.token.kind == "name" else ""
        self.expect("=")
        if self.is_keyword("inherit"):  # the including file's, else none
            self.take()
            uri = self.inherited
        else:
            uri = self.literal()
        if prefix:
            self.prefixes[prefix] = uri
        if default:
            self.default_ns = uri

    def starts_grammar_content(self) -> bool:
        at = self.at
        try:
            self.skip_annotations()
            token = self.token
            if token.kind == "end":
                return True
            if self.is_keyword("start") or self.is_keyword("div") or self.is_keyword("include"):
                return True
            return self.at_definition() or (self.at_annotation_element()
                                            and not (token.kind == "name" and not token.escaped
                                                     and token.value in KEYWORDS))
        finally:
            self.at = at

    def at_definition(self) -> bool:
        """``name =`` (or ``|=``, ``&=``) ahead."""
        following = self.peek()
        return self.token.kind == "name" and following.kind == "op" and following.value in ("=", "|=", "&=")

    def at_annotation_element(self) -> bool:
        """``name [`` ahead: an annotation element among the definitions."""
        return self.token.kind in ("name", "cname") and self.is_op("[", self.peek())

    def grammar_content(self, parent: etree._Element, until_end: bool) -> None:
        while True:
            self.skip_annotations()
            token = self.token
            if until_end and token.kind == "end" or not until_end and self.is_op("}"):
                return
            if self.is_keyword("start"):
                self.take()
                self.definition(etree.SubElement(parent, f"{_R}start"))
            elif self.is_keyword("div"):
                self.take()
                self.expect("{")
                self.grammar_content(etree.SubElement(parent, f"{_R}div"), until_end=False)
                self.expect("}")
            elif self.is_keyword("include"):
                self.include(parent)
            elif self.at_definition():
                self.take()
                define = etree.SubElement(parent, f"{_R}define", name=token.value)
                self.definition(define)
            elif self.at_annotation_element():
                self.take()
                self.skip_brackets()
            else:
                raise self.fail("expected a definition, 'start', 'div' or '}'")

    def include(self, parent: etree._Element) -> None:
        """``include "file.rnc" [inherit = p] [{ … }]``: the file's grammar in a ``div``, less
        the definitions (and the start) that the block after it gives again."""
        self.take()
        href_token = self.token
        href = self.literal()
        inherited = self.default_ns
        if self.is_keyword("inherit"):
            self.take()
            self.expect("=")
            prefix = self.take()
            inherited = self.namespace(prefix.value, prefix)
        overrides = etree.Element(f"{_R}div")
        if self.is_op("{"):
            self.take()
            self.grammar_content(overrides, until_end=False)
            self.expect("}")
        included = self.included_grammar(href, inherited, href_token)
        replaced = {define.get("name") for define in _components(overrides, "define")}
        found = set()
        for define in _components(included, "define"):
            if define.get("name") in replaced:
                found.add(define.get("name"))
                define.getparent().remove(define)
        if replaced - found:  # RELAX NG 4.7: what the block gives again must be in the file
            raise self.fail(f"the definition {sorted(replaced - found)[0]!r} in the include's block replaces "
                            f"nothing in {href}", href_token)
        if _components(overrides, "start"):
            starts = _components(included, "start")
            if not starts:
                raise self.fail(f"the start in the include's block replaces nothing in {href}", href_token)
            for start in starts:
                start.getparent().remove(start)
        div = etree.SubElement(parent, f"{_R}div")
        div.extend(list(included))
        div.extend(list(overrides))

    def included_grammar(self, href: str, inherited: str, token: _Token) -> etree._Element:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href) and not re.match(r"^[A-Za-z]:[\\/]", href):
            raise self.fail("an included grammar is read from a local file, never fetched", token)
        if self.path is None:
            raise self.fail("an included grammar is found beside the including file, and this text has none",
                            token)
        target = (self.path.parent / href).resolve()
        if target in self.including or target == self.path.resolve():
            raise self.fail("this grammar includes itself", token)
        if len(self.including) >= _MAX_INCLUDES:
            raise self.fail(f"includes nest more than {_MAX_INCLUDES} deep", token)
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise self.fail(f"the included grammar {href} cannot be read ({reason})", token) from None
        reader = _Reader(_unescaped(text), target, inherited, (*self.including, self.path.resolve()))
        return reader.read().getroot()

    def definition(self, holder: etree._Element) -> None:
        operator = self.take()
        if not (operator.kind == "op" and operator.value in ("=", "|=", "&=")):
            raise self.fail("expected '=', '|=' or '&='", operator)
        if operator.value != "=":
            holder.set("combine", "choice" if operator.value == "|=" else "interleave")
        holder.append(self.pattern())

    # -- patterns --------------------------------------------------------------------------
    def pattern(self) -> etree._Element:
        first = self.particle()
        if not (self.token.kind == "op" and self.token.value in (",", "|", "&")):
            return first
        operator = self.token.value
        combined = etree.Element(f"{_R}{ {',': 'group', '|': 'choice', '&': 'interleave'}[operator] }")
        combined.append(first)
        while self.is_op(operator):
            self.take()
            combined.append(self.particle())
        if self.token.kind == "op" and self.token.value in (",", "|", "&"):
            raise self.fail("',', '|' and '&' cannot be mixed without parentheses")
        return combined

    def particle(self) -> etree._Element:
        primary = self.primary()
        self.skip_follow_annotations()
        if self.token.kind == "op" and self.token.value in ("?", "*", "+"):
            kind = {"?": "optional", "*": "zeroOrMore", "+": "oneOrMore"}[self.take().value]
            wrapper = etree.Element(f"{_R}{kind}")
            wrapper.append(primary)
            self.skip_follow_annotations()
            return wrapper
        return primary

    def primary(self) -> etree._Element:
        self.skip_annotations()
        token = self.token
        if self.is_op("("):
            self.take()
            inner = self.pattern()
            self.expect(")")
            return inner
        if token.kind == "literal":
            return self.value("token", "")
        if token.kind == "cname":
            return self.datatype(self.take())
        if token.kind != "name":
            raise self.fail("expected a pattern")
        word = token.value if not token.escaped else ""
        if word in ("element", "attribute"):
            self.take()
            made = etree.Element(f"{_R}{word}")
            self.name_class(made, attribute=word == "attribute")
            self.expect("{")
            made.append(self.pattern())
            self.expect("}")
            return made
        if word in ("list", "mixed"):
            self.take()
            made = etree.Element(f"{_R}{word}")
            self.expect("{")
            made.append(self.pattern())
            self.expect("}")
            return made
        if word in ("empty", "text", "notAllowed"):
            self.take()
            return etree.Element(f"{_R}{word}")
        if word == "parent":
            self.take()
            return etree.Element(f"{_R}parentRef", name=self.take().value)
        if word == "grammar":
            self.take()
            self.expect("{")
            made = etree.Element(f"{_R}grammar")
            self.grammar_content(made, until_end=False)
            self.expect("}")
            return made
        if word in ("string", "token"):
            self.take()
            if self.token.kind == "literal":
                return self.value(word, "")
            return self.data_rest(word, "")
        if word == "external":
            raise self.fail("an external pattern is not read: write it into this grammar, or include "
                            "its file")
        if word and word in KEYWORDS:
            raise self.fail("expected a pattern")
        self.take()
        return etree.Element(f"{_R}ref", name=token.value)

    def datatype(self, token: _Token) -> etree._Element:
        prefix, _, local = token.value.partition(":")
        library = self.datatypes.get(prefix)
        if library is None:
            raise self.fail(f"datatype prefix {prefix!r} is not declared", token)
        if self.token.kind == "literal":
            return self.value(local, library)
        return self.data_rest(local, library)

    def value(self, kind: str, library: str) -> etree._Element:
        made = etree.Element(f"{_R}value", type=kind, datatypeLibrary=library)
        made.text = self.literal()
        return made

    def data_rest(self, kind: str, library: str) -> etree._Element:
        made = etree.Element(f"{_R}data", type=kind, datatypeLibrary=library)
        if self.is_op("{"):
            self.take()
            while not self.is_op("}"):
                self.skip_annotations()
                name = self.take()
                if name.kind != "name":
                    raise self.fail("expected a parameter name", name)
                self.expect("=")
                param = etree.SubElement(made, f"{_R}param", name=name.value)
                param.text = self.literal()
            self.take()
        if self.is_op("-"):
            self.take()
            etree.SubElement(made, f"{_R}except").append(self.primary())
        return made

    # -- name classes ---------------------------------------------------------------------
    def name_class(self, holder: etree._Element, attribute: bool) -> None:
        made = self.name_choice(attribute)
        if made.tag == f"{_R}name":  # the plain case in attributes: <element name="…" ns="…">
            holder.set("name", made.text or "")
            holder.set("ns", made.get("ns", ""))
        else:
            holder.append(made)

    def name_choice(self, attribute: bool) -> etree._Element:
        first = self.simple_name(attribute)
        if not self.is_op("|"):
            return first
        choice = etree.Element(f"{_R}choice")
        choice.append(first)
        while self.is_op("|"):
            self.take()
            choice.append(self.simple_name(attribute))
        return choice

    def simple_name(self, attribute: bool) -> etree._Element:
        made = self.bare_name(attribute)
        self.skip_follow_annotations()
        return made

    def bare_name(self, attribute: bool) -> etree._Element:
        self.skip_annotations()
        token = self.token
        if self.is_op("("):
            self.take()
            inner = self.name_choice(attribute)
            self.expect(")")
            return inner
        if self.is_op("*") or token.kind == "nsname":
            self.take()
            if token.kind == "nsname":
                made = etree.Element(f"{_R}nsName", ns=self.namespace(token.value[:-2], token))
            else:
                made = etree.Element(f"{_R}anyName")
            if self.is_op("-"):
                self.take()
                etree.SubElement(made, f"{_R}except").append(self.simple_name(attribute))
            return made
        if token.kind == "cname":
            self.take()
            prefix, _, local = token.value.partition(":")
            made = etree.Element(f"{_R}name", ns=self.namespace(prefix, token))
            made.text = local
            return made
        if token.kind == "name":
            self.take()
            made = etree.Element(f"{_R}name", ns="" if attribute else self.default_ns)
            made.text = token.value
            return made
        raise self.fail("expected a name")

    def namespace(self, prefix: str, token: _Token) -> str:
        uri = self.prefixes.get(prefix)
        if uri is None:
            raise self.fail(f"namespace prefix {prefix!r} is not declared", token)
        return uri
