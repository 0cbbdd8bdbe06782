"""TEI P4 read as TEI P5: the conversion the TEI documents for P4 to P5, done in memory on load.

A P4 document has no namespace, its root is ``TEI.2`` (or ``teiCorpus.2``), its
ids are ``id`` and its languages ``lang``, and some elements have other names
(``xref``, ``xptr``, ``div0``, ``witList``, …); files that came from SGML have
every name in lower case (``teiheader``, ``filedesc``).  :func:`convert` moves
such a tree into P5 following the TEI's own P4→P5 stylesheet (TEIC/Stylesheets,
``profiles/default/p4/from.xsl``): the TEI namespace, the element renames, the
attribute renames (``id`` → ``xml:id``, ``lang`` → ``xml:lang``, ``date/@value`` →
``@when``, ``@url`` → ``@target``, ``space/@extent`` → ``@quantity``, …), P4's
attribute defaults dropped, ``sic/@corr``-style attributes made into ``choice``,
and local pointers given their ``#``.  The tree is then validated and built like
any P5 file, and the load reports once that it was converted (W0012).

Line numbers survive (elements are renamed in place, not copied), so every
finding still points into the P4 file.  What the stylesheet cannot convert
without a DTD (unparsed entities of ``figure/@entity``) keeps its value, and the
P5 schema then says what is left to do.
"""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from .names import TEI_NS, XML_ID, XML_LANG

#: Roots that mark a P4 document (in no namespace), and their P5 names.
ROOTS = {"TEI.2": "TEI", "teiCorpus.2": "teiCorpus", "tei.2": "TEI", "teicorpus.2": "teiCorpus"}

#: P4 element names that P5 renamed (from.xsl).  The numbered divisions div0–div6 all become div
#: there, since P5 has no div0 and a div1 may not stand inside a div.
RENAMED = {
    "xref": "ref", "xptr": "ptr", "witList": "listWit", "state": "refState", "dateRange": "date",
    "div0": "div", "div1": "div", "div2": "div", "div3": "div", "div4": "div", "div5": "div", "div6": "div",
    "lg1": "lg", "lg2": "lg", "lg3": "lg", "lg4": "lg", "spkr": "speaker",
    "foreName": "forename", "event": "incident", "handList": "handNotes", "cesdoc": "cesDoc",
}

#: Pointing attributes whose values P5 writes as URIs (``#id``), from from.xsl.
POINTERS = frozenset({
    "ana", "active", "adj", "adjFrom", "adjTo", "children", "class", "code", "copyOf", "corresp", "decls",
    "domains", "end", "exclude", "fVal", "feats", "follow", "hand", "inst", "location", "mergedin", "new",
    "next", "old", "origin", "parent", "passive", "perf", "prev", "render", "resp", "sameAs", "scheme",
    "script", "select", "since", "start", "synch", "target", "targetEnd", "who", "wit"
})

#: P4 attribute values that were DTD defaults and mean nothing in P5 (from.xsl drops them).
DEFAULTS = {"targOrder": "u", "opt": "n", "to": "ditto", "default": "no", "part": "n", "full": "yes",
            "from": "root", "place": "unspecified", "sample": "complete", "org": "uniform"}
#: The same, for one element only.
ELEMENT_DEFAULTS = {("teiHeader", "type"): "text", ("teiHeader", "status"): "new",
                    ("del", "status"): "unremarkable", ("row", "role"): "data", ("cell", "role"): "data",
                    ("cell", "rows"): "1", ("cell", "cols"): "1", ("q", "broken"): "no"}

#: Attributes P5 no longer has, with no replacement.
DROPPED = frozenset({"TEIform", "tei", "langKey", "old", "date.created", "date.updated"})

_EXTERNAL = ("http", "ftp", "mailto")


def is_p4(root: etree._Element) -> bool:
    """A root element in no namespace named ``TEI.2`` or ``teiCorpus.2``."""
    tag = root.tag
    return isinstance(tag, str) and not tag.startswith("{") and tag in ROOTS


@lru_cache(maxsize=1)
def _p5_names() -> dict[str, str]:
    """P5 element names by their lower-case form (for P4 files from SGML, all lower case): the
    ``elementSpec`` idents of p5subset.xml, read here rather than through the ODD compiler (a layer
    above the document model, which this module is part of)."""
    from . import resources

    names: list[str] = []
    try:
        for _, spec in etree.iterparse(str(resources.tei_p5_dir() / "p5subset.xml"), tag=f"{{{TEI_NS}}}elementSpec",
                                       no_network=True, resolve_entities=False):
            ident = spec.get("ident")
            if ident:
                names.append(ident)
    except Exception:  # no p5subset: names keep their case (and the schema reports the lower-case ones)
        return {}
    return {name.lower(): name for name in names}


def _element_name(local: str, lower_case: bool) -> str:
    if local in ROOTS:
        return ROOTS[local]
    renamed = RENAMED.get(local)
    if renamed is not None:
        return renamed
    if lower_case:
        lowered = {key.lower(): value for key, value in RENAMED.items()}
        if local in lowered:
            return lowered[local]
        return _p5_names().get(local, local)
    return local


def _pointer(value: str) -> str:
    """P4's IDREFS as P5's URI references: ``n1 n2`` → ``#n1 #n2`` (web addresses stay)."""
    return " ".join(token if token.startswith(("#", *_EXTERNAL)) else f"#{token}" for token in value.split())


def _split_into_choice(element: etree._Element, own: str, other: str, value: str) -> None:
    """``<sic corr="x">y</sic>`` → ``<choice><sic>y</sic><corr>x</corr></choice>``, in place."""
    choice = etree.Element(f"{{{TEI_NS}}}choice")
    choice.sourceline = element.sourceline
    parent = element.getparent()
    if parent is None:
        return
    parent.replace(element, choice)
    choice.tail, element.tail = element.tail, None
    choice.append(element)
    alternative = etree.SubElement(choice, f"{{{TEI_NS}}}{other}")
    alternative.text = value
    alternative.sourceline = element.sourceline


def convert(root: etree._Element) -> tuple[etree._Element, int]:
    """Move a P4 tree into TEI P5; return its new root and how many names (elements and attributes)
    changed.  The elements are renamed in place (their line numbers stay); only the root is new,
    so that the TEI namespace is the default namespace of the whole tree."""
    lower_case = root.tag.islower()
    changes = 0
    choices: list[tuple[etree._Element, str, str, str]] = []
    for element in list(root.iter()):
        tag = element.tag
        if not isinstance(tag, str) or tag.startswith("{"):
            continue  # comments, processing instructions, and elements already in a namespace
        local = _element_name(tag, lower_case)
        changes += local != tag
        element.tag = f"{{{TEI_NS}}}{local}"
        for key, raw in list(element.items()):
            name, value = str(key), str(raw)
            if name.startswith("{"):
                continue
            new = _attribute_name(local, name)
            if (new is None or DEFAULTS.get(name) == value.lower() or not value.strip() and name == "type"
                    or ELEMENT_DEFAULTS.get((local, name)) == value.lower()):
                del element.attrib[name]
                changes += 1
                continue
            if name in POINTERS and local != "variantEncoding":
                value = _pointer(value)
            if new != name:
                del element.attrib[name]
                changes += 1
            element.set(new, value)
        for own, other in (("sic", "corr"), ("corr", "sic"), ("abbr", "expan"), ("expan", "abbr"),
                           ("orig", "reg"), ("reg", "orig")):
            alternative = element.get(other)
            if local == own and alternative is not None:
                del element.attrib[other]
                choices.append((element, own, other, str(alternative)))
    for element, own, other, value in choices:
        _split_into_choice(element, own, other, value)
        changes += 1
    changes += _restructure(root)
    return _with_default_namespace(root), changes


def _with_default_namespace(root: etree._Element) -> etree._Element:
    """The same root in a new element declaring the TEI namespace as the default one.

    lxml cannot change the namespace declarations of an element; elements renamed into the TEI
    namespace would otherwise be written with a made-up prefix (``ns0:``)."""
    # parsed, not built: the stubs of lxml do not allow the None key of a default namespace
    new = etree.fromstring(f'<{etree.QName(root).localname} xmlns="{TEI_NS}"/>')
    for key, value in root.items():
        new.set(key, value)
    new.sourceline = root.sourceline
    new.text = root.text
    for previous in list(root.itersiblings(preceding=True)):
        new.addprevious(previous)  # the prolog's processing instructions (xml-model) and comments
    new.extend(list(root))
    for following in list(root.itersiblings()):
        new.addnext(following)
    etree.cleanup_namespaces(new)
    return new


def _restructure(root: etree._Element) -> int:
    """The few P4 structures P5 writes otherwise: a text inside a text, figure/@url, gap/@desc."""
    changes = 0
    for element in list(root.iter(f"{{{TEI_NS}}}text")):
        parent = element.getparent()
        if parent is not None and parent.tag not in (f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}group"):
            element.tag = f"{{{TEI_NS}}}floatingText"
            changes += 1
    for figure in list(root.iter(f"{{{TEI_NS}}}figure")):
        url = _take(figure, "url") or _take(figure, "entity")
        if url is not None:
            graphic = etree.Element(f"{{{TEI_NS}}}graphic", url=url)
            graphic.sourceline = figure.sourceline
            figure.insert(0, graphic)
            graphic.tail, figure.text = figure.text, None
            changes += 1
    for gap in list(root.iter(f"{{{TEI_NS}}}gap")):
        described = _take(gap, "desc")
        if described is not None:
            desc = etree.SubElement(gap, f"{{{TEI_NS}}}desc")
            desc.text = described
            changes += 1
    return changes


def _take(element: etree._Element, name: str) -> str | None:
    """Remove an attribute and return its value (None when absent)."""
    value = element.get(name)
    if value is None:
        return None
    del element.attrib[name]
    return str(value)


def _attribute_name(element: str, name: str) -> str | None:
    """The P5 name of a P4 attribute of ``element``; None when P5 has no such attribute."""
    if name in DROPPED or (element == "change" and name == "date"):
        return None
    if name == "id":
        return "ident" if element in ("language", "lang") else XML_ID
    if name == "lang":
        return XML_LANG
    if name == "url" or name == "entity" and element == "figure":
        return name if element in ("figure", "graphic") else "target"
    if name == "doc":
        return "target"
    if name == "targType":
        return "type"
    if name == "mergedin":
        return "mergedIn"
    if element == "date" and name == "value":
        return "when"
    if element == "date" and name == "certainty":
        return "cert"
    if element == "space" and name == "extent":
        return "quantity"
    if element == "entryFree" and name == "key":
        return "sortKey"
    if element == "interp" and name == "value":
        return "inst"
    if element == "witness" and name == "sigil":
        return XML_ID
    return name
