"""XPath lookup: the Query API, both engines, named queries and ``edition query``.

The XPath 1.0 suite runs through both engines (the ``engine`` fixture); a
test proves lxml's answers equal elementpath's, hit for hit, so the fast
path may be taken automatically.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from edition.cli import cli
from edition.document import load
from edition.queries import BUILTIN, group_hits, load_queries, named_queries
from edition.query import (
    Hit,
    Plan,
    Query,
    QueryEvaluationError,
    QuerySyntaxError,
    default_engine,
    run_document,
    run_files,
)


@pytest.fixture(autouse=True)
def _from_the_checkout(in_repo: Path) -> None:
    """These tests name the memo as a user of this checkout would (``tei/…``)."""

PERSON_MENTIONS = [  # the memo's text: (ref, name, authority pointer)
    ("d300", "Cumming", "#p_CHSJ1"),
    ("d300", "Herter", "#p_HCA1"),
    ("d300.p1", "Khrushchev", "#p_KNS1"),
    ("d300.p3", "Eisenhower", "#p_EDD1"),
    ("d300.p3", "Khrushchev", "#p_KNS1"),
]

#: XPath 1.0 expressions that mean the same in 3.1, so auto takes lxml for them.
XPATH1_SUITE = [
    "//text//persName",
    "//persName",
    "//persName[1]",
    "//text//placeName[2]",
    "//text//placeName[position() = 2]",
    "//text//p//placeName[not(@type)][3]",
    "//persName/@ref",
    "//p[contains(., 'Khrushchev')]",
    "count(//persName)",
    "count(//text//placeName[@ref = '#pl_Peiping'])",
    "//div[@type = 'document']/@xml:id",
    "//head/text()",
    "//p[1]/node()",
    "//q/ancestor::p",
    "//placeName[. = 'Moscow'][2]",
    "//text//p[position() < 3]",
    "//p[count(placeName) > 5]",
    "boolean(//choice/sic)",
    "//*[local-name() = 'sic']",
    "//text//p[last()]",
    "//node()[self::comment() or self::processing-instruction()]",
    "//text//*[@ref = '#p_KNS1']/parent::*",
    "//pb/following-sibling::placeName[1]",
    "//pb/preceding::persName",
    "//persName[starts-with(@ref, '#p_')][not(@type)]",
    "//body//text()[contains(., 'Sino-Soviet')]",
    "//tei:persName[@type = 'to']",
    "//@xml:id[. = 'd300']",
    "//div[@n > 299]",
    "//div[@n + 1 = 301]",
    "//text//date[lang('en')]",
    "//text//p[not(.//persName)]",
    "//list[@type = 'subject']/item | //list[@type = 'subject']/head",
    "//text//p[2]/placeName[1]/following::*[1]",
    "//text//p[starts-with(normalize-space(.), 'It')]",
    "//text//*[string-length(normalize-space(.)) > 90][not(self::p)]",
    "concat(count(//text//p), ' paragraphs')",
    "//p[.//q][contains(., 'Soviet Union')]/@*",
    # mixed content: elementpath 5.1 strings it wrongly unless mended (edition.query)
    "//text//note[contains(., 'Source: Department of State, Intelligence Files')]",
]

#: 3.1 functions over an XPath 1.0 path: lxml selects, Python applies the function.
OUTER_FUNCTIONS = [
    "distinct-values(//text//persName/@ref)",
    "distinct-values(//persName/@ref)",
    "distinct-values(//text//placeName)",
    "string-join(//div/@xml:id, ',')",
    "string-join(//note, ' ')",
    "string-join(//text//persName)",
    "string-join(//text//persName, ', ')",
    "string-join(//text//persName/@ref, \"'\")",
]

#: XPath 1.0 the auto engine leaves to elementpath: their meaning may differ in 3.1.
XPATH1_DIFFERENT = [
    "string(//choice/corr)",
    "concat(//pb/@n, '/', //pb/@facs)",
    "normalize-space(//dateline)",
    "substring-after(//orgName[1]/@ref, '#')",
    "string-length(//q[1])",
    "translate(//dateline/date/@when, '-', '/')",
    "//p[@n > @m]",
    "1 div 3",
    "sum(//@n)",
    "name(/*)",
    "//p[. > 'a']",
    "//div[@n = '300' + 0]",
    "//div/@n + 1 = 301",
    "//div[contains(head, 'Memorandum')]/@n",
]

#: Not XPath 1.0: elementpath only, and the lxml engine refuses them.
XPATH31_ONLY = [
    "string-join(for $p in //text//persName return $p, ', ')",
    "(//text//persName)[1]/@ref/string()",
    "for $p in //text//persName return string($p/@ref)",
    "//text//persName ! string(.)",
    "/",
]


@pytest.fixture(scope="module")
def memo(memo_path: Path):
    return load(memo_path, display="tei/frus1958-60v19-d300.xml")


@pytest.fixture(params=["saxon", "elementpath", "lxml"])
def engine(request) -> str:
    return request.param


def run_cli(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["query", *arguments])
    return result.exit_code, result.stdout, result.stderr


# -- the Query API ------------------------------------------------------------------

def test_person_mentions_in_the_memo_text(memo, engine):
    query = Query("//text//persName", engine=engine)
    assert query.engine == engine
    hits = query(memo)
    assert [(h.ref, h.value) for h in hits] == [(r, n) for r, n, _ in PERSON_MENTIONS]
    assert all(h.type == "element" and h.file == "tei/frus1958-60v19-d300.xml" for h in hits)
    assert hits[2].xpath == "/tei:TEI/tei:text/tei:body/tei:div/tei:p[1]/tei:persName"
    # the line and column are those of the start tag in the file
    line = memo.source.decode().split("\n")[hits[2].line - 1]
    assert line[hits[2].column - 1:].startswith('<persName ref="#p_KNS1">Khrushchev<')


def test_hits_point_back_to_their_nodes(memo, engine):
    for hit in Query("//text//placeName | //text//persName/@ref | //head/text()", engine=engine)(memo):
        found = memo.root.getroottree().xpath(hit.xpath, namespaces={"tei": "http://www.tei-c.org/ns/1.0",
                                                                      "xml": "http://www.w3.org/XML/1998/namespace"})
        assert len(found) == 1, hit.xpath
        node = found[0]
        value = node if isinstance(node, str) else "".join(node.itertext())
        assert str(value) == hit.value


def test_attribute_and_text_hits(memo, engine):
    refs = Query("//text//persName/@ref", engine=engine)(memo)
    assert [h.value for h in refs] == [p for _, _, p in PERSON_MENTIONS]
    assert refs[0].type == "attribute" and refs[0].xpath.endswith("/tei:persName[1]/@ref")
    ids = Query("//@xml:id[. = 'd300']", engine=engine)(memo)
    assert [(h.xpath, h.ref) for h in ids] == [("/tei:TEI/tei:text/tei:body/tei:div/@xml:id", "d300")]
    texts = Query("//text//head/text()", engine=engine)(memo)
    assert texts[0].type == "text" and texts[0].xpath.endswith("/tei:head/text()[1]")
    assert texts[1].value == " (" and texts[1].xpath.endswith("/tei:head/text()[2]")


def test_atomic_results_have_the_file_but_no_node(memo, engine):
    [hit] = Query("count(//text//persName)", engine=engine)(memo)
    assert (hit.type, hit.value, hit.line, hit.xpath, hit.file) == (
        "xs:integer", "5", 0, "", "tei/frus1958-60v19-d300.xml")
    [flag] = Query("boolean(//choice/sic)", engine=engine)(memo)
    assert (flag.type, flag.value) == ("xs:boolean", "true")


@pytest.mark.parametrize("expression", XPATH1_SUITE)
def test_engines_agree_on_the_xpath1_suite(memo, frus_excerpt, expression):
    assert Query(expression).engine == default_engine()  # never chosen by the expression
    excerpt = load(frus_excerpt)
    for document in (memo, excerpt):
        saxon = Query(expression, engine="saxon")(document)
        assert saxon == Query(expression, engine="elementpath")(document)
        assert saxon == Query(expression, engine="lxml")(document)


@pytest.mark.parametrize("expression", OUTER_FUNCTIONS)
def test_engines_agree_on_outer_functions(memo, frus_excerpt, expression):
    for document in (memo, load(frus_excerpt)):
        assert Query(expression, engine="saxon")(document) == Query(expression, engine="elementpath")(document)


def test_distinct_values_of_the_memo(memo):
    hits = Query("distinct-values(//text//persName/@ref)")(memo)
    assert [(h.type, h.value) for h in hits] == [
        ("xs:untypedAtomic", p) for p in ("#p_CHSJ1", "#p_HCA1", "#p_KNS1", "#p_EDD1")]


@pytest.mark.parametrize("expression", XPATH1_DIFFERENT)
def test_auto_never_takes_xpath1_meaning(memo, expression):
    """Routing never changes an answer: auto is one XPath 3.1 engine whatever the expression,
    and gives 3.1's answer (or 3.1's error) where XPath 1.0 would differ."""
    with contextlib.suppress(QuerySyntaxError):  # Saxon raises some type errors statically, as 3.1 allows
        assert Query(expression).engine == default_engine()
    answers = []
    for engine in ("saxon", "elementpath"):
        try:
            # xs:decimal division's precision is implementation-defined (F&O 4.2: at least 18
            # digits): Saxon gives 18, elementpath 28
            answers.append([(h.type, str(round(Decimal(h.value), 15)) if h.type == "xs:decimal" else h.value)
                            for h in Query(expression, engine=engine)(memo)])
        except (QueryEvaluationError, QuerySyntaxError):  # XPTY0004 may be raised statically (XPath 3.1 §2.3.1)
            answers.append("error")
    assert answers[0] == answers[1]
    assert Query(expression, engine="lxml").engine == "lxml"  # asked for: XPath 1.0 semantics


@pytest.mark.parametrize("expression", XPATH31_ONLY)
def test_xpath31_expressions_are_refused_by_lxml(memo, expression):
    assert Query(expression, engine="saxon")(memo) == Query(expression, engine="elementpath")(memo)
    with pytest.raises(QuerySyntaxError):
        Query(expression, engine="lxml")


def test_xpath31_results(memo):
    [joined] = Query("string-join(//text//persName, ', ')")(memo)
    assert joined.value == "Cumming, Herter, Khrushchev, Eisenhower, Khrushchev"
    [third] = Query("1 div 4")(memo)
    assert (third.type, third.value) == ("xs:decimal", "0.25")
    [document] = Query("/")(memo)
    assert (document.type, document.xpath) == ("document", "/")
    refs = Query("for $p in //text//persName return string($p/@ref)")(memo)
    assert [h.value for h in refs] == [p for _, _, p in PERSON_MENTIONS]


def test_variables_and_namespaces(memo, engine):
    hits = Query("//text//placeName[@ref = $target]", variables={"target": "#pl_Moscow"}, engine=engine)(memo)
    assert [h.ref for h in hits] == ["d300.p1", "d300.p1", "d300.p3", "d300.p3", "d300.p3"]
    custom = Query("//t:q", namespaces={"t": "http://www.tei-c.org/ns/1.0"}, engine=engine)(memo)
    assert [h.ref for h in custom] == ["d300.p1", "d300.p4"]


def test_prefix_declared_by_the_document(frus_excerpt):
    root = etree.parse(str(frus_excerpt)).getroot()
    assert root.nsmap["frus"] == "http://history.state.gov/frus/ns/1.0"
    query = Query("count(//@frus:*)")
    assert query(load(frus_excerpt))[0].type == "xs:integer"


def test_compile_once_call_many(memo, frus_excerpt):
    query = Query("//text//persName[@ref = '#p_KNS1' or @corresp = '#p_KNS1']")
    excerpt = load(frus_excerpt)
    assert len(query(memo)) == 2
    assert len(query(excerpt)) >= 2
    assert query(memo) == query(memo)


def test_hits_and_plans_pickle(memo):
    hit = Query("//q")(memo)[0]
    assert pickle.loads(pickle.dumps(hit)) == hit
    plan = BUILTIN["persons"].plan()
    assert pickle.loads(pickle.dumps(plan)) == plan


# -- errors -------------------------------------------------------------------------

def test_syntax_error_has_a_caret():
    with pytest.raises(QuerySyntaxError) as caught:
        Query("//persName[@ref = ")
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "E0501" and diagnostic.column == 18
    assert diagnostic.message.endswith("    //persName[@ref = \n" + " " * (4 + 17) + "^")


@pytest.mark.parametrize(("expression", "words", "column"), [
    ("//p)", "unexpected ')'", 4), ("//persName[", "end of source", 11), ("1 +", "end of source", 3)])
def test_a_syntax_error_speaks_of_what_was_written(expression: str, words: str, column: int) -> None:
    """Saxon checks an expression inside a wrapper (if (…) then ( EXPR ) else ()); its words for
    a stray parenthesis were "expected 'else', found )", for an unclosed predicate "Unexpected
    token )". The message is elementpath's, which parses the expression alone."""
    with pytest.raises(QuerySyntaxError) as caught:
        Query(expression)
    diagnostic = caught.value.diagnostic
    assert words in diagnostic.message and diagnostic.column == column
    assert "else" not in diagnostic.message and "token )" not in diagnostic.message


def test_unbound_variable_is_a_usage_error():
    with pytest.raises(QuerySyntaxError, match=r"\$year is not bound"):
        Query("//date[starts-with(@when, $year)]")


def test_runtime_error_names_document_and_part(memo):
    query = Query("xs:date(string(//dateline))")
    with pytest.raises(QueryEvaluationError) as caught:
        query(memo)
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "E0502" and diagnostic.path == "tei/frus1958-60v19-d300.xml"
    # elementpath names the error code; Saxon's messages through saxonche carry none
    assert ("FORG0001" in diagnostic.message or "Invalid date" in diagnostic.message) \
        and "date(string(//dateline))" in diagnostic.message


def test_cli_syntax_error_exits_2_with_caret(memo):
    status, out, err = run_cli("//persName[", "tei/")
    assert status == 2 and out == ""
    # the caret's lines are escaped on the diagnostic's one line (no name or message forges a line)
    assert "E0501" in err and "    //persName[" in err and "^" in err


def test_cli_runtime_error_exits_1_and_others_run(memo, tmp_path, memo_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><text>", encoding="utf-8")
    status, out, err = run_cli("--count", "//text//persName", str(broken), str(memo_path),
                               str(tmp_path / "missing.xml"))
    assert status == 1
    assert out.strip().split("\n") == [f"5\t{memo_path}", "5\ttotal"]
    assert f"{broken}:1:" in err and "E0002" in err and "E0001" in err
    status, out, err = run_cli("number(//dateline) + xs:date('x')", str(memo_path))
    assert status == 1 and "E0502" in err and str(memo_path) in err


# -- named queries ---------------------------------------------------------------------

def named(memo, name: str):
    return run_document(BUILTIN[name].plan(), memo)


def test_named_persons_with_mention_counts(memo, engine):
    result = run_document(BUILTIN["persons"].plan(engine="auto"), memo)
    groups = group_hits([result])
    assert [(g.count, g.key, g.label, g.refs(False)) for g in groups] == [
        (2, "#p_KNS1", "Khrushchev, Nikita S.", ["d300.p1", "d300.p3"]),
        (1, "#p_CHSJ1", "Cumming, Hugh S., Jr.", ["d300"]),
        (1, "#p_EDD1", "Eisenhower, Dwight D.", ["d300.p3"]),
        (1, "#p_HCA1", "Herter, Christian A.", ["d300"]),
    ]


def test_named_places(memo):
    groups = {g.key: (g.count, g.label, g.refs(False)) for g in group_hits([named(memo, "places")])}
    assert groups["#pl_Peiping"] == (7, "Peiping", ["d300.p1", "d300.p2", "d300.p3"])
    assert groups["#pl_Moscow"] == (5, "Moscow", ["d300.p1", "d300.p3"])
    assert groups["#pl_USSR"] == (5, "Soviet Union", ["d300.p1", "d300.p2", "d300.p4"])
    assert groups["#pl_US"] == (4, "United States", ["d300.p2", "d300.p3"])
    assert groups["#pl_Washington"] == (1, "Washington, D.C.", ["d300"])
    assert groups["#pl_TaiwanStrait"] == (1, "Taiwan Straits", ["d300.p1"])
    assert set(groups) == {"#pl_Peiping", "#pl_Moscow", "#pl_USSR", "#pl_US", "#pl_Washington",
                           "#pl_TaiwanStrait", "#pl_China", "#pl_India", "#pl_Laos", "#pl_SoutheastAsia"}


def test_named_organisations(memo):
    groups = [(g.count, g.key, g.label) for g in group_hits([named(memo, "organisations")])]
    assert groups == [(7, "#org_CCP", "Chinese Communist Party"),
                      (1, "#org_INR", "Bureau of Intelligence and Research"),
                      (1, "#org_DOS", "Department of State")]


def test_named_dates_quotations_notes_pages_corrections(memo):
    assert [(h.ref, h.key, h.value) for h in named(memo, "dates").hits] == [
        ("d300", "1959-09-24", "1959-09-24 September 24, 1959")]
    assert [(h.ref, h.value) for h in named(memo, "quotations").hits] == [
        ("d300.p1", "economic chaos."),
        ("d300.p4", "No one should be foolish enough to expect an open conflict between China and the "
                    "Soviet Union.")]
    [note] = named(memo, "notes").hits
    assert note.ref == "d300" and note.value.startswith("0 Source: Department of State, Intelligence Files")
    assert [(h.ref, h.value) for h in named(memo, "pagebreaks").hits] == [("d300.p1", "page 594 #facs_0626")]
    assert [(h.ref, h.value) for h in named(memo, "corrections").hits] == [("d300.p4", "wait → that")]


def test_cli_list_and_named(memo):
    status, out, _ = run_cli("--list")
    assert status == 0
    names = [line.split()[0] for line in out.splitlines() if not line.startswith(" ")]
    assert names == ["persons", "places", "organisations", "dates", "quotations", "notes", "pagebreaks",
                     "corrections"]
    status, out, _ = run_cli("@persons", "tei/")
    assert status == 0
    assert out.splitlines()[0].split() == ["2", "Khrushchev,", "Nikita", "S.", "#p_KNS1", "d300.p1,", "d300.p3"]
    status, out2, _ = run_cli("--named", "persons", "tei/")
    assert out2 == out
    status, _, err = run_cli("@nobody", "tei/")
    assert status == 2 and "E0503" in err and "persons" in err


def test_user_queries_file(memo, tmp_path):
    file = tmp_path / "mine.toml"
    file.write_text('[abbreviations]\ndescription = "abbreviations in the text"\n'
                    'xpath = "//text//abbr"\nkey = "string(ancestor::term/@ref)"\ngroup = true\n'
                    'label = "string(.)"\n', encoding="utf-8")
    queries = named_queries(file)
    assert queries["abbreviations"].source == str(file)
    status, out, _ = run_cli("--queries", str(file), "@abbreviations", "tei/")
    assert status == 0
    assert [line.split()[:2] for line in out.splitlines()] == [["4", "US"], ["1", "Noforn"], ["1", "USSR"]]
    status, out, _ = run_cli("--queries", str(file), "--list")
    assert f"abbreviations in the text (from {file})" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[x]\nxpath = "//p"\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(Exception, match="unknown field 'colour'"):
        load_queries(bad)


# -- output formats -------------------------------------------------------------------

def test_cli_text_is_the_default(memo):
    status, out, _ = run_cli("//text//persName", "tei/")
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 5
    assert lines[2].startswith("tei/frus1958-60v19-d300.xml:316:")
    assert ": d300.p1: Khrushchev [/tei:TEI/tei:text/tei:body/tei:div/tei:p[1]/tei:persName]" in lines[2]


def test_cli_json_csv_xml(memo):
    _, out, _ = run_cli("--format", "json", "//text//persName", "tei/")
    records = json.loads(out)
    assert [(r["ref"], r["value"], r["type"]) for r in records] == [
        (ref, name, "element") for ref, name, _ in PERSON_MENTIONS]
    assert set(records[0]) == {"file", "ref", "line", "column", "xpath", "type", "value"}
    _, out, _ = run_cli("--format", "csv", "//text//persName", "tei/")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["value"] for row in rows] == [name for _, name, _ in PERSON_MENTIONS]
    _, out, _ = run_cli("--format", "xml", "//text//q | //text//pb/@n", "tei/")
    hits = etree.fromstring(out.encode())
    assert [h.get("type") for h in hits] == ["attribute", "element", "element"]
    assert hits[1][0].tag == "{http://www.tei-c.org/ns/1.0}q" and hits[1][0].text == "economic chaos."


def test_cli_count_and_kwic(memo):
    _, out, _ = run_cli("--count", "//text//placeName", "tei/")
    assert out == "27\n"
    _, out, _ = run_cli("--kwic", "Khrushchev", "--context", "3", "//text//p", "tei/")
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("effort to sabotage [Khrushchev]’s visit. Another report")
    assert ": d300.p3: " in lines[1] and lines[1].endswith("Eisenhower and [Khrushchev], with Peiping evidencing")
    # the keyword column is aligned
    columns = [line.index("[Khrushchev]") - line.index(ref) for line, ref in zip(lines, ("d300.p1", "d300.p3"),
                                                                                  strict=True)]
    assert columns[0] == columns[1]


# -- corpus ---------------------------------------------------------------------------

def test_corpus_runs_in_file_order(history_documents):
    plan = Plan("//div[@type = 'document'][1]/head")
    serial = list(run_files(plan, [history_documents], jobs=1))
    assert len(serial) == 63
    assert [r.path for r in serial] == sorted(r.path for r in serial)
    assert all(not r.diagnostics for r in serial)
    parallel = list(run_files(plan, [history_documents], jobs=2))
    assert [(r.path, r.hits) for r in parallel] == [(r.path, r.hits) for r in serial]


@pytest.mark.parametrize("expression", [
    "//text//p[contains(., 'Foreign Relations')]",
    "//div[@type = 'document']/@xml:id",
    "count(//note)",
])
def test_engines_agree_on_the_history_documents(history_documents, expression):
    for path in sorted(history_documents.glob("*.xml"))[::4]:
        document = load(path)
        assert Query(expression, engine="lxml")(document) == Query(expression, engine="elementpath")(document)


def test_cli_over_the_63_documents(history_documents):
    status, out, err = run_cli("--count", "//text//p", str(history_documents))
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 64 and lines[-1].endswith("\ttotal")
    assert int(lines[-1].split("\t")[0]) == sum(int(line.split("\t")[0]) for line in lines[:-1]) > 1000


def test_no_progress_bar_when_not_a_terminal(history_documents):
    _, _, err = run_cli("--count", "count(//p)", str(history_documents), "--jobs", "2")
    assert err == ""


def test_hit_dict_is_the_json_record():
    hit = Hit("a.xml", "d1.p1", 3, 4, "/tei:TEI", "element", "v")
    assert hit.as_dict() == {"file": "a.xml", "ref": "d1.p1", "line": 3, "column": 4, "xpath": "/tei:TEI",
                             "type": "element", "value": "v"}


def test_cached_xpaths_equal_the_documents(memo, frus_excerpt):
    from edition.query import _Locator

    for document in (memo, load(frus_excerpt)):
        locate = _Locator(document, markup=False)
        for element in document.root.iter():
            assert locate.xpath_of(element) == document.xpath_of(element)


def test_cli_variables_namespaces_and_engines(memo):
    status, out, _ = run_cli("--var", "year=1959", "//text//date[starts-with(@when, $year)]", "tei/")
    assert status == 0 and out.count("\n") == 1 and ": d300: September 24, 1959 [" in out
    status, out, _ = run_cli("--ns", "t=http://www.tei-c.org/ns/1.0", "//t:text//t:q", "tei/")
    assert status == 0 and len(out.splitlines()) == 2
    fast = run_cli("--engine", "lxml", "//text//persName", "tei/")
    exact = run_cli("--engine", "elementpath", "//text//persName", "tei/")
    assert fast == exact and fast[0] == 0
    status, _, err = run_cli("--var", "year", "//p", "tei/")
    assert status == 2 and "not name=value" in err


def test_references_of_a_few_hits_are_the_citers(frus_volume: Path, history_documents: Path, tmp_path: Path) -> None:
    """A query's hits take their references from FallbackRefs where a document has no
    citeStructure (no Citer built for a few hits): the Citer's reference for every element,
    on the volume, the history documents and divisions whose ids would clash."""
    from edition.refs import FallbackRefs

    clash = tmp_path / "clash.xml"
    clash.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><div type="document" xml:id="p1"><p/></div>'
                     '<p/></body></text></TEI>', encoding="utf-8")
    assert not FallbackRefs(load(clash).root).usable
    checked = 0
    for path in [frus_volume, *sorted(history_documents.glob("*.xml"))]:
        document = load(path)
        quick = FallbackRefs(document.root)
        if quick.usable:
            checked += 1
            assert [quick.ref_of(node) for node in document.root.iter()] == \
                [document.ref_of(node) for node in document.root.iter()], path
    assert checked > 10


def test_a_query_called_again_on_a_document_gives_the_same_hits(frus_volume: Path, memo_path: Path) -> None:
    """The XPath steps and the references' way found for one query's hits are kept on the
    document (``query.steps``, ``refs.fallback``): the next query on it reads them, and every hit
    is the one a fresh document gives."""
    from edition.query import Query

    for path, expression in ((frus_volume, "//p[contains(., 'Dalai Lama')]"), (memo_path, "//persName")):
        document = load(path)
        first = Query(expression)(document)
        assert "query.steps" in document.cache and "refs.fallback" in document.cache
        again = Query(expression)(document)
        other = Query("//pb")(document)  # other parents, the same caches
        assert again == first and len(first) > 0
        assert other == Query("//pb")(load(path))
        assert first == Query(expression)(load(path))
