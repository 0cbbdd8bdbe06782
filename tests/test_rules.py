"""The integrity rules, one concern at a time, on small TEI documents written inline.

The broken-fixture manifest (tests/test_validate.py) checks each code at its line; here
each rule's edges are checked: what it must accept (real-world TEI habits) as much as
what it must report.
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edition.diagnostics import CODES, EditionUsageError, Severity
from edition.document import parse
from edition.rules import RULES, classify, facts_of, iter_rule_problems, parse_printed_date, parse_temporal

HEADER = """<teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>
<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc></fileDesc>{extra}</teiHeader>"""


def tei(body: str, *, before: str = "", header: str = "") -> bytes:
    """A TEI document: ``before`` goes between the header and the text (standOff, facsimile)."""
    return (f'<TEI xmlns="http://www.tei-c.org/ns/1.0">{HEADER.format(extra=header)}{before}'
            f"<text><body>{body}</body></text></TEI>").encode()


def codes(data: bytes, rule: str | None = None) -> list[str]:
    document = parse(data, "test.xml")
    return [d.code for d in iter_rule_problems(document, None if rule is None else [rule])]


def messages(data: bytes) -> list[str]:
    return [d.message for d in iter_rule_problems(parse(data, "test.xml"))]


# -- the registry ---------------------------------------------------------

def test_every_rule_declares_its_codes_and_what_it_checks() -> None:
    assert len(RULES) >= 8
    emitted = set()
    for name, each in RULES.items():
        assert each.name == name and each.description and each.codes
        assert all(code in CODES for code in each.codes)
        emitted.update(each.codes)
    assert emitted == {code for code in CODES if code[1:3] == "02"}


def test_rules_can_be_chosen_by_name() -> None:
    data = tei('<p xml:id="a">x</p><p xml:id="a"><ref target="#zz">y</ref></p>')
    assert sorted(codes(data)) == ["E0201", "E0202"]
    assert codes(data, "unique-ids") == ["E0201"]
    with pytest.raises(EditionUsageError) as raised:
        list(iter_rule_problems(parse(data), ["no-such-rule"]))
    assert "'no-such-rule'" in str(raised.value) and "unique-ids" in str(raised.value)


def test_a_clean_document_gives_nothing() -> None:
    assert codes(tei('<div type="document" xml:id="d1"><head>1. Memo</head><p>Text.</p></div>')) == []


# -- ids and pointers ---------------------------------------------------------

def test_each_repeated_id_is_reported_with_its_first_use() -> None:
    data = tei('<p xml:id="a">1</p>\n<p xml:id="a">2</p>\n<p xml:id="a">3</p>')
    found = list(iter_rule_problems(parse(data, "t.xml")))
    assert [d.code for d in found] == ["E0201", "E0201"]
    assert "line 2" in found[0].message and found[0].line == 3


@pytest.mark.parametrize("value, expected", [
    ("#a", []),                                  # resolves
    ("#a #b", []),                               # several pointers, all resolve
    ("#a #nope", ["E0202"]),                     # the second does not
    ("", []),                                    # the empty URI: this document
    ("#", ["E0202"]),                            # an empty fragment names nothing
    ("https://history.state.gov/x#nope", []),    # absolute URIs are not ours to check
    ("0626", []),                                # FRUS pb/@facs: an image name, not a pointer
    ("../chapter-7#fn67", []),                   # a page of the same web site: no such file here
    ("#xpointer(//p[1])", []),                   # XPointer schemes are not ids
    ("#string-range(a,0,4)", []),
    ("#%61", []),                                # percent-encoded "a"
])
def test_local_pointers(value: str, expected: list[str]) -> None:
    data = tei(f'<p xml:id="a">x</p><p xml:id="b"><ref target="{value}">y</ref></p>')
    assert codes(data, "pointers") == expected


def test_every_pointer_attribute_is_checked() -> None:
    data = tei('<p xml:id="a" rendition="#r1" corresp="#c1"><seg ana="#x1" facs="#f1">x</seg>'
               '<ptr target="#t1"/><persName ref="#p1">P</persName></p>')
    found = messages(data)
    assert len(found) == 6
    for token in ("#r1", "#c1", "#x1", "#f1", "#t1", "#p1"):
        assert any(f'"{token}"' in m for m in found)


def test_pointer_typed_only_sometimes_is_checked_when_it_is_a_fragment() -> None:
    # @scheme is a pointer on catRef; @from on span; neither is confused with other datatypes
    data = tei('<p xml:id="a"><span from="#a" to="#zz">s</span></p>',
               header="<profileDesc><textClass><catRef scheme='#tax' target='#c1'/></textClass></profileDesc>")
    assert sorted(codes(data, "pointers")) == ["E0202", "E0202", "E0202"]


def test_private_uri_schemes_expand_through_prefixdef() -> None:
    header = ("<encodingDesc><listPrefixDef><prefixDef ident='psn' matchPattern='([A-Za-z0-9_]+)' "
              "replacementPattern='#$1'/></listPrefixDef></encodingDesc>")
    data = tei('<p><persName ref="psn:p_KNS1">K</persName> <persName ref="psn:p_NONE">N</persName></p>',
               header=header, before='<standOff><listPerson><person xml:id="p_KNS1"/></listPerson></standOff>')
    found = messages(data)
    assert len(found) == 1 and "p_NONE" in found[0]


def test_a_missing_id_gets_a_suggestion() -> None:
    data = tei('<p xml:id="d299">x</p><p><ref target="#d290">y</ref></p>')
    (message,) = messages(data)
    assert "did you mean '#d299'?" in message


def test_classify_sorts_tokens() -> None:
    facts = facts_of(parse(tei("<p/>")))
    assert classify("#x", facts).local == "x"
    assert classify("vol.xml#d1", facts).external == "vol.xml"
    assert classify("mailto:a@b", facts).local is None


def test_checked_documents_are_freed() -> None:
    """The facts' cache once held every document checked for the life of the process (its
    values referred to their keys), found by the fuzz run's growing collector passes."""
    document = parse(tei('<p xml:id="a"><ref target="#a">x</ref></p>'), "test.xml")
    assert not list(iter_rule_problems(document)) and facts_of(document).ids
    gone = weakref.ref(document)
    del document
    gc.collect()
    assert gone() is None


# -- kinds of entries ----------------------------------------------------------

STANDOFF = """<standOff>
<listPerson><person xml:id="p1"><persName>P</persName></person><personGrp xml:id="g1"/></listPerson>
<listPlace><place xml:id="pl1"><placeName>W</placeName></place></listPlace>
<listOrg><org xml:id="o1"><orgName>O</orgName></org></listOrg>
<list type="terms"><item><term xml:id="t1">USSR</term></item></list>
</standOff>"""


@pytest.mark.parametrize("markup, expected", [
    ('<persName ref="#p1">P</persName>', []),
    ('<persName ref="#g1">G</persName>', []),                   # a group of persons
    ('<persName corresp="#p1">P</persName>', []),               # FRUS points with @corresp
    ('<persName ref="#pl1">W</persName>', ["E0203"]),
    ('<persName ref="#p1 #o1">W</persName>', ["E0203"]),        # every token has the right kind
    ('<placeName ref="#pl1">W</placeName>', []),
    ('<placeName ref="#p1">W</placeName>', ["E0203"]),
    ('<orgName ref="#o1">O</orgName>', []),
    ('<orgName ref="#pl1">O</orgName>', ["E0203"]),
    ('<gloss target="#t1">USSR</gloss>', []),
    ('<gloss target="#p1">USSR</gloss>', ["E0203"]),
    ('<term ref="#t1">USSR</term>', []),
    ('<term corresp="#pl1">USSR</term>', []),                  # @corresp of a term is any correspondence
    ('<persName ref="#nope">X</persName>', []),                 # dangling: E0202's business, not E0203's
    ('<orgName ref="https://viaf.org/1">O</orgName>', []),
])
def test_pointer_kinds(markup: str, expected: list[str]) -> None:
    assert codes(tei(f"<p>{markup}</p>", before=STANDOFF), "pointer-kinds") == expected


def test_frus_names_list_persname_is_a_person_entry() -> None:
    # FRUS: <list type="names"><item><persName xml:id="p_BJW1">…</persName>, …</item></list>
    data = tei('<div><list type="names"><item><persName xml:id="p_BJW1">Bennett</persName>, officer</item>'
               '</list></div><p><persName corresp="#p_BJW1">Bennett</persName></p>')
    assert codes(data) == []


def test_who_may_name_a_person_or_a_responsibility() -> None:
    # our memo: <change who="#ed"> with <respStmt xml:id="ed"> in the titleStmt
    data = tei("<p><said who='#p1'>Yes.</said></p>", before=STANDOFF,
               header="<revisionDesc><change who='#ed'>made</change><change who='#pl1'>moved</change>"
                      "</revisionDesc>")
    data = data.replace(b"<title>t</title>", b"<title>t</title><respStmt xml:id='ed'><resp>r</resp>"
                        b"<name>n</name></respStmt>")
    found = list(iter_rule_problems(parse(data), ["pointer-kinds"]))
    assert [d.code for d in found] == ["E0203"] and "#pl1" in found[0].message


# -- dates ------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "1959", "1959-09", "1959-09-24", "1959-09-24T10:15:00", "1959-09-24T10:15:00Z",
    "1959-09-24T10:15:00.5+01:00", "1959-09-24-05:00", "-0044-03-15", "0000", "12345-01-01",
    "10:15:00", "--09-24", "--09", "---24", "2000-02-29", "1959-09-24T24:00:00", "1959Z",
])
def test_valid_w3c_dates(value: str) -> None:
    assert not isinstance(parse_temporal(value), str), parse_temporal(value)


@pytest.mark.parametrize("value, reason", [
    ("1959-02-30", "day 30 does not exist in February 1959"),
    ("1900-02-29", "day 29 does not exist in February 1900"),
    ("1959-13-01", "month 13"),
    ("1959-04-31", "April"),
    ("24/09/1959", "not a W3C date"),
    ("1959-9-24", "not a W3C date"),
    ("59", "not a W3C date"),
    ("01959", "not a W3C date"),
    ("1959-09-24T25:00:00", "not a time of day"),
    ("1959-09-24T24:30:00", "24:00:00"),
    ("1959-09-24+15:00", "timezone"),
    ("September 1959", "not a W3C date"),
    ("\u0661\u0669\u0665\u0669", "not a W3C date"),        # Arabic-Indic digits: XSD wants ASCII
    ("", "not a W3C date"),
])
def test_invalid_w3c_dates(value: str, reason: str) -> None:
    result = parse_temporal(value)
    assert isinstance(result, str) and reason in result


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_real_date_is_valid_and_covers_one_day(day: dt.date) -> None:
    value = parse_temporal(day.isoformat())
    assert not isinstance(value, str)
    start, end = value.interval()
    assert start == (day - dt.date(1970, 1, 1)).days * 86400
    assert end - start == pytest.approx(86399.999)


@given(st.integers(1, 9999), st.integers(1, 12), st.integers(1, 31))
def test_day_validity_agrees_with_the_calendar(year: int, month: int, day: int) -> None:
    try:
        dt.date(year, month, day)
        real = True
    except ValueError:
        real = False
    assert (not isinstance(parse_temporal(f"{year:04d}-{month:02d}-{day:02d}"), str)) is real


@pytest.mark.parametrize("attributes, expected", [
    ('from="1959-09-26" to="1959-09-27"', []),
    ('from="1959-09-27" to="1959-09-26"', ["E0205"]),
    ('from="1959" to="1959-03"', []),                    # overlapping precisions are in order
    ('from="1959-09-24T10:00:00+01:00" to="1959-09-24T09:30:00Z"', []),   # 09:00Z before 09:30Z
    ('from="1959-09-24T10:00:00Z" to="1959-09-24T10:30:00+01:00"', ["E0205"]),
    ('notBefore="1960" notAfter="1959-12"', ["E0205"]),
    ('notBefore="1959" notAfter="1960"', []),
    ('from="-0044" to="0014"', []),
    ('from="1959" to="10:00:00"', []),                   # a date and a time do not compare
    ('when="1959-02-30"', ["E0204"]),
    ('when="1959-02-30" from="x" to="1959"', ["E0204", "E0204"]),
])
def test_date_attributes(attributes: str, expected: list[str]) -> None:
    assert codes(tei(f"<p><date {attributes}>d</date></p>"), "dates") == expected


def test_times_of_day_are_dates_too() -> None:
    # FRUS: <time from="08:57:00" to="09:10:00">8:57–9:10 a.m.</time>
    assert codes(tei('<p><time from="08:57:00" to="09:10:00">8:57–9:10 a.m.</time></p>')) == []
    assert codes(tei('<p><time from="09:57:00" to="09:10:00">x</time></p>')) == ["E0205"]


def test_from_and_to_that_are_not_dates_are_left_alone() -> None:
    data = tei('<p><bibl><biblScope unit="page" from="593" to="594">593–594</biblScope></bibl>'
               '<citedRange from="12" to="3">x</citedRange></p>')
    assert codes(data) == []


@pytest.mark.parametrize("text, expected", [
    ("September 24, 1959", (1959, 9, 24, None)),
    ("September 24, 1959.", (1959, 9, 24, None)),
    ("Sept. 24, 1959", (1959, 9, 24, None)),
    ("24 September 1959", (1959, 9, 24, None)),
    ("1959-09-24", (1959, 9, 24, None)),
    ("September 1959", (1959, 9, None, None)),
    ("July, 1984", (1984, 7, None, None)),
    ("1959", (1959, None, None, None)),
    ("March 14, 1958, 8:30 p.m.", (1958, 3, 14, 20 * 60 + 30)),
    ("May 10, 1958, noon", (1958, 5, 10, 12 * 60)),
    ("August 7, 1958, 12:05 a.m.", (1958, 8, 7, 5)),
    ("September 26 and 27, 1959", None),
    ("October 30, 1958, 8:21[?] p.m.", None),
    ("the day before", None),
    ("Undated", None),
    ("Monday, 1959", None),
])
def test_printed_dates(text: str, expected: tuple | None) -> None:
    found = parse_printed_date(text)
    if expected is None:
        assert found is None
    else:
        assert found is not None and (found.year, found.month, found.day, found.minutes) == expected


@pytest.mark.parametrize("markup, expected", [
    ('<date when="1959-09-24">September 24, 1959</date>', []),
    ('<date when="1959-09-24">September 1959</date>', []),          # less precise text, same month
    ('<date when="1959-09">September 24, 1959</date>', []),         # less precise @when
    ('<date when="1959-09-24">September 25, 1959</date>', ["W0206"]),
    ('<date when="1958-11-07">November 6, 1959</date>', ["W0206"]),  # the 1959 HAC minutes
    ('<date when="1959-09-24">the next day</date>', []),             # not a plain date: silent
    ('<date when="1958-03-14T20:30:00">March 14, 1958, 8:30 p.m.</date>', []),
    ('<date when="1958-03-14T20:30:00">March 14, 1958, 8:30 a.m.</date>', ["W0206"]),
    ('<date when="1959-09-24"><hi>September</hi> 24, 1959</date>', []),
    ('<date when="1959-09-24">September 24, 1959<note n="1">Sic: 25.</note></date>', []),
    ('<date when="1959-02-30">February 30, 1959</date>', []),       # E0204's business
])
def test_printed_date_agreement(markup: str, expected: list[str]) -> None:
    assert codes(tei(f"<p>{markup}</p>"), "printed-dates") == expected


def test_printed_date_mismatch_is_only_a_warning() -> None:
    assert CODES["W0206"].severity is Severity.WARNING


# -- notes and pages -----------------------------------------------------------

def _div(ident: str, *ns: str) -> str:
    notes = "".join(f'<p>t<note n="{n}">x</note></p>' for n in ns)
    return f'<div type="document" xml:id="{ident}"><head>h</head>{notes}</div>'


@pytest.mark.parametrize("divs, expected", [
    ([("d1", "0", "1", "2"), ("d2", "0", "1")], []),          # FRUS: source note 0, then 1, 2 …
    ([("d1", "1", "2", "3")], []),
    ([("d1", "1", "*", "2", "a")], []),                     # non-numeric marks stay out
    ([("d1", "1", "3")], ["E0207"]),
    ([("d1", "1", "2", "2")], ["E0207"]),
    ([("d1", "2", "3")], ["E0207"]),
    ([("d1", "1", "3", "5")], ["E0207"]),                   # once per document, not a cascade
    ([("d1", "1", "2"), ("d2", "1", "3")], ["E0207"]),
])
def test_note_numbers(divs: list[tuple[str, ...]], expected: list[str]) -> None:
    body = "".join(_div(ident, *ns) for ident, *ns in divs)
    assert codes(tei(body), "note-numbers") == expected


def test_notes_without_document_divisions_number_through_the_text() -> None:
    data = tei('<p>a<note n="1">x</note></p><div><p>b<note n="2">y</note></p></div><p>c<note n="4">z</note></p>')
    found = list(iter_rule_problems(parse(data), ["note-numbers"]))
    assert [d.code for d in found] == ["E0207"] and 'n="4"' in found[0].message


@pytest.mark.parametrize("chapters, expected", [
    ([("1", "2"), ("3", "4")], []),           # numbered through the book
    ([("1", "2"), ("1", "2")], []),           # numbered afresh in each chapter
    ([("1", "2"), ("4",)], ["E0207"]),
    ([("1", "2"), ("2",)], ["E0207"]),
    ([("2",)], ["E0207"]),
])
def test_chapters_may_restart_or_continue_their_notes(chapters: list[tuple[str, ...]], expected: list[str]) -> None:
    body = "".join("<div>" + "".join(f'<p>t<note n="{n}">x</note></p>' for n in ns) + "</div>"
                   for ns in chapters)
    assert codes(tei(body), "note-numbers") == expected


def test_notes_in_the_header_are_not_numbered_with_the_text() -> None:
    data = tei('<p>a<note n="1">x</note></p>', header='<encodingDesc><p>e<note n="7">h</note></p></encodingDesc>')
    assert codes(data) == []


@pytest.mark.parametrize("pages, expected", [
    (["591", "592", "593"], []),
    (["591", "593"], []),                                      # gaps: an excerpt
    (["592", "591"], ["E0208"]),
    (["592", "592"], ["E0208"]),
    (["A1", "A2", "I", "II", "XXVIII", "1", "2"], []),         # FRUS front matter, then the text
    (["i", "iii", "ii", "1"], ["E0208"]),
    (["1", "594a", "2"], []),                                  # not a number: out of the sequence
    (["595", "594", "593"], ["E0208", "E0208"]),
])
def test_page_numbers(pages: list[str], expected: list[str]) -> None:
    body = "".join(f'<pb n="{n}"/><p>t</p>' for n in pages)
    assert codes(tei(body), "page-numbers") == expected


def test_pages_of_other_editions_form_their_own_sequence() -> None:
    body = '<pb n="10" ed="A"/><pb n="3" ed="B"/><p>t</p><pb n="11" ed="A"/><pb n="4" ed="B"/><p>u</p>'
    assert codes(tei(body)) == []


def test_each_text_of_a_corpus_numbers_its_own_pages() -> None:
    one = tei('<pb n="1"/><p>a</p><pb n="2"/><p>b</p>').decode().replace(' xmlns="http://www.tei-c.org/ns/1.0"', "")
    corpus = (f'<teiCorpus xmlns="http://www.tei-c.org/ns/1.0">{HEADER.format(extra="")}{one}{one}'
              "</teiCorpus>").encode()
    assert codes(corpus) == []


# -- empty blocks ------------------------------------------------------------------

@pytest.mark.parametrize("markup, expected", [
    ("<p>Text.</p>", []),
    ("<p/>", ["E0209"]),
    ("<p>  \n </p>", ["E0209"]),
    ('<p><pb n="5"/></p>', ["E0209"]),
    ("<p><lb/> <milestone unit='section'/></p>", ["E0209"]),
    ("<p><hi rend='italic'> </hi></p>", ["E0209"]),
    ("<p><!-- to do --></p>", ["E0209"]),
    ("<p><figure><graphic url='a.png'/></figure></p>", []),  # a figure is content
    ("<p><gap reason='illegible'/></p>", []),                  # so is a gap
    ("<p><pb n='5'/>Text.</p>", []),
    ("<p><hi>x</hi></p>", []),
    ("<p><lb/>tail</p>", []),
    ("<head/>", ["E0209"]),
    ("<head><note n='1'>Source.</note></head>", []),
])
def test_empty_blocks(markup: str, expected: list[str]) -> None:
    assert codes(tei(f"<div>{markup}</div>"), "empty-blocks") == expected


# -- any TEI ---------------------------------------------------------------------

def test_rules_on_a_root_that_is_not_tei_find_nothing_and_do_not_crash() -> None:
    data = b'<html xmlns="http://www.w3.org/1999/xhtml"><p xml:id="a"/><p xml:id="a"/></html>'
    assert codes(data) == ["E0201"]       # ids are XML's rule, whatever the vocabulary
    assert codes(b"<TEI><text><body><p/></body></text></TEI>") == []


def test_findings_carry_location_and_reference() -> None:
    data = tei('<div type="document" xml:id="d1"><head>h</head><p>a</p>\n<p>b <ref target="#x">c</ref></p></div>')
    (found,) = iter_rule_problems(parse(data, "memo.xml"))
    assert (found.path, found.line, found.ref) == ("memo.xml", 3, "d1.p2")
    assert found.column == 6
    assert found.xpath.endswith("tei:p[2]/tei:ref")


def test_pointers_into_other_files(tmp_path) -> None:
    (tmp_path / "volume.xml").write_bytes(tei('<p xml:id="d14">x</p>'))
    (tmp_path / "broken.xml").write_bytes(b"<TEI")
    source = tei('<p xml:id="here"><ref target="volume.xml#d14">ok</ref> <ref target="volume#d14">ok, '
                 'FRUS style</ref> <ref target="volume.xml#d15">no such id</ref> '
                 '<ref target="absent.xml#d1 absent.xml#d2">missing file</ref> '
                 '<ref target="broken.xml#x">unreadable</ref> <ref target="doc.xml#nope">this file</ref> '
                 '<ref target="/etc/site.xml#x">site root</ref> <ref target="a%00b.xml#x">NUL</ref> '
                 f'<ref target="{"A" * 300}.xml#x">too long</ref></p>')
    (tmp_path / "doc.xml").write_bytes(source)
    from edition.document import load
    found = [(d.code, d.message.split('"')[1]) for d in iter_rule_problems(load(tmp_path / "doc.xml"))]
    assert ("E0202", "volume.xml#d15") in found and ("E0202", "doc.xml#nope") in found
    assert ("W0210", "absent.xml#d1") in found and ("W0210", "broken.xml#x") in found
    assert ("W0210", "a%00b.xml#x") in found and ("W0210", f"{'A' * 300}.xml#x") in found
    assert len(found) == 6


def test_a_hostile_prefixdef_pattern_is_not_run() -> None:
    # "(a+)+$" against "aaaa…!" backtracks for hours; such a pattern is ignored, not run
    header = ("<encodingDesc><listPrefixDef><prefixDef ident='x' matchPattern='(a+)+$' "
              "replacementPattern='#$1'/></listPrefixDef></encodingDesc>")
    data = tei(f'<p><ref target="x:{"a" * 40}!">r</ref></p>', header=header)
    assert codes(data) == []


def test_the_facts_walk_gives_the_documents_attribute_profile(memo_path: Path, frus_volume: Path, shared: Path) -> None:
    """Facts.collect fills ``Document.attribute_profile`` in its own walk (the schemas read it):
    the same profile as a walk of its own, on TEI of every kind (other vocabularies, egXML)."""
    from edition.document import load
    from edition.parsed import attribute_profile

    files = [memo_path, frus_volume, *sorted((shared / "any-tei").glob("*.xml"))]
    for file in files:
        document = load(file)
        facts_of(document)
        assert "attribute_profile" in vars(document)
        assert document.attribute_profile == attribute_profile(document.root), file
    volume = load(frus_volume)
    profile = attribute_profile(volume.root)
    assert profile["{http://www.tei-c.org/ns/1.0}pb"] >= {"n", "facs"}
    assert volume.vocabulary == (frozenset(profile), frozenset().union(*profile.values()))
