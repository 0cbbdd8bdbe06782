"""The Saxon engine's nodes are lxml's nodes: each kind, on both of the trees Saxon may hold.

Saxon reads a large file itself when lxml's tree is the file's (the volume), and lxml's
serialization otherwise (the memo); the nodes of a result are paired with lxml's by
``generate-id()``, text nodes by their parent and the sibling before them.  Where XPath 1.0
means what 3.1 means, the lxml engine (libxml2 walking lxml's own tree) is the reference:
every hit of the Saxon engine must be the same record, located the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import MEMO

from edition import xpath_saxon
from edition.document import Document, load
from edition.queries import BUILTIN
from edition.query import Query, run_document

#: Each kind of node, as .text and as .tail; the same selection in XPath 1.0 and 3.1.
EVERY_KIND = [
    "(//*)[position() <= 300]",
    "//comment()",
    "//processing-instruction()",
    "(//text())[position() <= 400]",
    "(//hi/following-sibling::text()[1])[position() <= 100]",
    "(//pb/@n)[position() <= 100]",
    "(//@xml:id)[position() <= 100]",
    "//p[1]//text()",
]


@pytest.fixture(scope="module")
def volume_with_everything(frus_volume: Path, tmp_path_factory: pytest.TempPathFactory) -> Document:
    """The volume (read by Saxon from the file: over 1 MB, no DOCTYPE) with comments and
    processing instructions before, inside and after the root, which it has none of."""
    text = frus_volume.read_text(encoding="utf-8")
    head, _, rest = text.partition("?>")
    rest = rest.replace("<body>", "<body><!-- in the body --><?edition mark?>", 1)
    folder = tmp_path_factory.mktemp("saxon")
    path = folder / "volume.xml"
    path.write_text(f"{head}?>\n<!-- before the root -->\n<?edition before?>{rest}<!-- after the root -->\n",
                    encoding="utf-8")
    return load(path)


@pytest.fixture(scope="module")
def memo() -> Document:
    return load(MEMO)


@pytest.mark.parametrize("expression", EVERY_KIND)
def test_each_kind_of_node_is_the_node_lxml_holds_in_a_file_saxon_read(
        volume_with_everything: Document, expression: str) -> None:
    document = volume_with_everything
    assert xpath_saxon._plain_file(document) is not None  # Saxon reads the file itself
    saxon = Query(expression, engine="saxon")(document)
    assert saxon, expression
    assert saxon == Query(expression, engine="lxml")(document)


@pytest.mark.parametrize("expression", EVERY_KIND)
def test_each_kind_of_node_is_the_node_lxml_holds_in_its_serialization(memo: Document, expression: str) -> None:
    assert xpath_saxon._plain_file(memo) is None  # a small file: Saxon reads lxml's serialization
    assert Query(expression, engine="saxon")(memo) == Query(expression, engine="lxml")(memo)


def test_the_comments_and_instructions_around_the_root_are_found(volume_with_everything: Document) -> None:
    hits = Query("//comment() | //processing-instruction()", engine="saxon")(volume_with_everything)
    assert [(hit.type, hit.value) for hit in hits] == [
        ("comment", " before the root "), ("processing-instruction", "before"),
        ("comment", " in the body "), ("processing-instruction", "mark"), ("comment", " after the root ")]
    assert [hit.line for hit in hits] == sorted(hit.line for hit in hits) and hits[0].line == 2


def test_the_document_node(volume_with_everything: Document, memo: Document) -> None:
    [on_file] = Query("/", engine="saxon")(volume_with_everything)
    assert (on_file.type, on_file.xpath, on_file.line, on_file.column) == ("document", "/", 1, 1)
    assert Query("/", engine="saxon")(memo) == Query("/", engine="elementpath")(memo)


@pytest.mark.parametrize("name", ["persons", "notes", "dates"])
def test_per_hit_parts_of_a_named_query_see_the_right_node(frus_volume: Path, name: str) -> None:
    """A named query's value and key are evaluated with each hit as Saxon's context node."""
    document = load(frus_volume)
    named = BUILTIN[name]
    results = {engine: run_document(named.plan(engine=engine), document) for engine in ("saxon", "lxml")}
    assert results["saxon"].hits and not results["saxon"].diagnostics
    assert results["saxon"] == results["lxml"]


def test_a_result_of_values_pairs_no_nodes(frus_volume: Path) -> None:
    """Strings and numbers need no node of lxml's: the pairing of the trees is left undone
    until a result holds a node (on the volume it is the larger part of a small query)."""
    document = load(frus_volume)
    for expression in ("count(//p)", "//div[@type='document'] ! string(@xml:id)", "(//head)[1] ! normalize-space()"):
        assert Query(expression, engine="saxon").evaluate(document)
    tree = xpath_saxon.saxon_tree(document)
    assert tree._ids is None
    assert Query("(//head)[1]", engine="saxon")(document)[0].type == "element"
    assert tree._ids is None  # a few nodes are found by their paths (_Tree.by_path)
    assert Query("(//head)[2]", engine="saxon")(document)[0].type == "element"
    # asked again, the document has its nodes paired once for all
    assert tree._ids is not None and len(tree._ids) == sum(1 for _ in document.root.iter())


@pytest.mark.parametrize("expression", [
    "(//pb)[position() = 1 or position() = 300 or position() = last()]/@facs",
    "(//div[@type='document'])[142]//p[2]/text()",
    "(//note)[position() <= 3]", "//div[@xml:id='d3']/p[1]//text()", "(//p)[7]/node()",
    "(//head)[last()] | (//persName)[1]"])
def test_a_few_nodes_are_the_hits_of_all_paired(frus_volume: Path, expression: str) -> None:
    """Nodes found by their paths (a few) are the nodes found by pairing the trees: the same
    hits (file, reference, line, column, XPath, value) as lxml's XPath 1.0 gives."""
    document = load(frus_volume)
    assert xpath_saxon.saxon_tree(document)._ids is None
    saxon = Query(expression, engine="saxon")(document)
    assert xpath_saxon.saxon_tree(document)._ids is None
    assert saxon and saxon == Query(expression, engine="lxml")(document)


def test_a_few_nodes_among_comments_and_instructions(tmp_path: Path) -> None:
    """Paths count comments and processing instructions as lxml's children do, also before
    and after the root element."""
    path = tmp_path / "few.xml"
    path.write_text('<?xml version="1.0"?>\n<!-- before --><?pi one?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">'
                    '<text><body><!--c--><p n="1">a<?pi two?>b<hi>c</hi>d<!--e-->f</p><?pi three?>'
                    '<p n="2">g</p></body></text></TEI>\n<!-- after -->\n', encoding="utf-8")
    for expression in ("//p[2]", "//p/@n", "//p[1]/text()", "//comment()", "//processing-instruction()",
                       "/node()", "//hi | //p[2]/text()"):
        document = load(path)
        saxon = Query(expression, engine="saxon")(document)
        assert xpath_saxon.saxon_tree(document)._ids is None
        assert saxon and saxon == Query(expression, engine="lxml")(document), expression


def _stylesheets(query: Query) -> list[object]:
    """The stylesheets the query's Saxon expressions were compiled to (None: the XPath route)."""
    return [executable for compiled in query._by_namespaces.values()
            for executable in compiled.saxon._executables.values()]


@pytest.mark.parametrize("expression", EVERY_KIND)
def test_a_query_called_again_runs_compiled_and_answers_the_same(
        volume_with_everything: Document, memo: Document, expression: str) -> None:
    """After its first evaluation an expression runs as a compiled stylesheet (saxonche
    recompiles an XPath expression at every call): the same hits on both trees Saxon holds,
    call after call, as lxml's."""
    for document in (volume_with_everything, memo):
        query = Query(expression, engine="saxon")
        expected = Query(expression, engine="lxml")(document)
        assert [query(document) for _ in range(3)] == [expected] * 3
        assert len(_stylesheets(query)) == 1 and all(_stylesheets(query))


def test_the_compiled_route_keeps_the_xpath_routes_errors_variables_and_focus(memo: Document) -> None:
    failing = Query("(//pb/@n ! xs:integer(.)) div 0", engine="saxon")
    messages = []
    for _ in range(3):
        with pytest.raises(ValueError) as raised:
            failing.evaluate(memo)
        messages.append(str(raised.value))
    assert "FOAR0001" not in messages[0] and "division by zero" in messages[0]
    assert messages == [messages[0]] * 3  # the message is the XPath route's, not the stylesheet's
    bound = Query("$who || ': ' || count(//persName)", variables={"who": "Herter"}, engine="saxon")
    assert [bound.evaluate(memo) for _ in range(3)] == [["Herter: 15"]] * 3 and all(_stylesheets(bound))
    # the static base URI is the XPath expression's, not the stylesheet's (file:/… against file:///…)
    base = Query("string(static-base-uri())", engine="saxon")
    answers = [base.evaluate(memo) for _ in range(3)]
    assert answers == [answers[0]] * 3 and _stylesheets(base) == [None]
    # XSLT's own functions stay unknown: the expression is checked as XPath before it runs
    with pytest.raises(ValueError, match="E0501|current"):
        Query("current()", engine="saxon")
    # the focus of a per-hit expression is the hit, position and size 1
    each = Query("name() || ' ' || position() || '/' || last()", engine="saxon")
    heads = memo.root.iter("{http://www.tei-c.org/ns/1.0}head")
    assert [each.evaluate(memo, item=head) for head in heads][-2:] == [["head 1/1"]] * 2


@pytest.mark.parametrize("expression", [
    "count(//date[@when > 1959])", "root(//p)", "error(xs:QName('err:X'), 'During lazy evaluation')", "error()",
    "1 div 0", "xs:date('x')", "//p[1] + 1", "//*[@xml:id = 3]/@n", "array{1, 2}(5)", "map{'a': 1}?b + xs:integer('q')",
    "(1 to 5) ! (if (. = 4) then error(QName('urn:x', 'four'), 'four') else .)",
    # (an error at the bottom of a recursion; a recursion deeper than Saxon's native stack ends
    # the process: tests/test_query_budget.py runs one in a process of its own)
    "let $f := function($f, $n) { if ($n = 0) then 1 div 0 else 1 + $f($f, $n - 1) } return $f($f, 500)"])
def test_an_error_on_the_compiled_route_is_the_xpath_routes_error(memo: Document, expression: str) -> None:
    """The compiled stylesheet reports a dynamic error in its own frame; the message is Saxon's
    for the expression, as the XPath route gives it, whichever route answered."""
    query = Query(expression, engine="saxon")
    messages = []
    for _ in range(3):
        with pytest.raises(ValueError) as raised:
            query.evaluate(memo)
        messages.append(str(raised.value))
    assert messages == [messages[0]] * 3
    assert "edition-xsl" not in messages[0] and "During lazy" not in messages[0].replace(
        "'During lazy evaluation'", "")
    assert all(_stylesheets(query))
    # the usual errors (a cast, a division, fn:error, a type) are read from the stylesheet's own
    # report: the expression is not evaluated again by XPath; rarer forms of report are
    xpath_evaluations = [compiled.saxon.xpath_evaluations for compiled in query._by_namespaces.values()]
    assert xpath_evaluations == ([3] if "$f" in expression else [1])
