"""Chicago notes and bibliography entries (transforms/chicago.py).

Two kinds of evidence:

- exact strings, written out here from the Chicago Manual (17th ed.) for the memo, an
  authorless volume document, a frus-history manuscript, a passage and a passage range;
- an oracle: citeproc-py running the official CSL style (``transforms/csl/``) over every
  item of the corpus (the memo, the 404 documents of the FRUS volume, the 63 frus-history
  files).  Where citeproc-py is right, ours must be the same string: items with an author,
  and the manuscripts, once the document's own date (CSL ``original-date``, which the style
  prints as a reprint's first date: "(1959; Washington: …)") is taken out of both.  For
  authorless documents of a volume the style puts the editor in the author's place; there
  ours must equal citeproc-py's from the title on, begin with the title and name the editor
  once.

citeproc-py 0.11 is corrected where it departs from the style or the locale, as the
runtime used to do: ``punctuation-in-quote`` (en-US), ``<name initialize="false">``, and the
headline-casing of titles (which the header already gives, and which it gets wrong for
"Couve de Murville").
"""

from __future__ import annotations

import io
import re
from html import escape
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from edition.document import load
from edition.transforms import chicago
from edition.transforms.citations import CHICAGO_STYLE, Citation, metadata, render

MEMO_TITLE = ("Memorandum From the Director of the Bureau of Intelligence and Research (Cumming) "
              "to Secretary of State Herter")
MEMO_BOOK = "Foreign Relations of the United States, 1958–1960, Volume XIX, China"
MEMO_URL = "https://history.state.gov/historicaldocuments/frus1958-60v19/d300"
IMPRINT = "Washington: United States Government Printing Office, 1996"
MARKUPS = ("text", "html")


# -- exact strings ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def memo(memo_path: Path):
    return load(memo_path)


@pytest.fixture(scope="module")
def memo_citation(memo) -> Citation:
    return metadata(memo, memo.units()[0])


def test_memo_note_bibliography_and_html(memo_citation: Citation) -> None:
    assert render(memo_citation, "chicago-note") == (
        f"Hugh S. Cumming Jr., “{MEMO_TITLE},” September 24, 1959, in {MEMO_BOOK}, no. 300, "
        f"ed. Harriet Dashiell Schwar ({IMPRINT}), 593–94, {MEMO_URL}.")
    assert render(memo_citation, "chicago-bibliography") == (
        f"Cumming, Hugh S., Jr. “{MEMO_TITLE}.” September 24, 1959. In {MEMO_BOOK}, No. 300, "
        f"edited by Harriet Dashiell Schwar, 593–94. {IMPRINT}. {MEMO_URL}.")
    assert render(memo_citation, "chicago-note", markup="html") == (
        f"Hugh S. Cumming Jr., “{MEMO_TITLE},” September 24, 1959, in <i>{MEMO_BOOK}</i>, no. 300, "
        f"ed. Harriet Dashiell Schwar ({IMPRINT}), 593–94, {MEMO_URL}.")
    assert render(memo_citation, "chicago-bibliography", markup="html") == (
        f"Cumming, Hugh S., Jr. “{MEMO_TITLE}.” September 24, 1959. In <i>{MEMO_BOOK}</i>, No. 300, "
        f"edited by Harriet Dashiell Schwar, 593–94. {IMPRINT}. {MEMO_URL}.")


def test_passage_and_passage_range(memo) -> None:
    head = (f"Hugh S. Cumming Jr., “{MEMO_TITLE},” September 24, 1959, in {MEMO_BOOK}, no. 300, "
            f"ed. Harriet Dashiell Schwar ({IMPRINT})")
    assert render(metadata(memo, passage_ref="d300.p4"), "chicago-note") == f"{head}, para. 4, {MEMO_URL}."
    ranged = metadata(memo, passage_ref="d300.p1-p2")
    assert render(ranged, "chicago-note") == f"{head}, paras. 1–2, {MEMO_URL}."
    # a bibliography lists the whole document, with its pages
    assert render(ranged, "chicago-bibliography") == render(metadata(memo, memo.units()[0]),
                                                            "chicago-bibliography")


@pytest.fixture(scope="module")
def volume(frus_volume: Path):
    return load(frus_volume)


@pytest.fixture(scope="module")
def volume_citations(volume) -> list[Citation]:
    return [metadata(volume, unit.element) for unit in volume.citer.units if unit.parent is None]


def test_a_telegram_is_dated_as_its_dateline(volume_citations: list[Citation]) -> None:
    telegram = next(c for c in volume_citations if c.ref == "d197")
    assert telegram.item["original-date"] == {"literal": "1958-10-21T16:00:00"}
    assert render(telegram, "chicago-note").startswith(
        "“Memorandum of Conversation,” October 21, 1958, 4 p.m., in Foreign Relations")


def test_authorless_volume_document_begins_with_its_title(volume_citations: list[Citation]) -> None:
    editorial = next(c for c in volume_citations if c.ref == "d1")
    url = "https://history.state.gov/historicaldocuments/frus1958-60v19/d1"
    assert render(editorial, "chicago-note") == (
        f"“Editorial Note,” in {MEMO_BOOK}, no. 1, ed. Harriet Dashiell Schwar ({IMPRINT}), 1, {url}.")
    assert render(editorial, "chicago-bibliography") == (
        f"“Editorial Note.” In {MEMO_BOOK}, No. 1, edited by Harriet Dashiell Schwar, 1. {IMPRINT}. {url}.")
    conversation = next(c for c in volume_citations if c.ref == "d299")
    url = "https://history.state.gov/historicaldocuments/frus1958-60v19/d299"
    assert render(conversation, "chicago-note", markup="html") == (
        f"“Memorandum of Conversation,” September 18, 1959, in <i>{MEMO_BOOK}</i>, no. 299, "
        f"ed. Harriet Dashiell Schwar ({IMPRINT}), 591–93, {url}.")


def test_frus_history_manuscript(history_documents: Path) -> None:
    path = history_documents / "1991-03-13-hac-meeting-record.xml"
    document = load(path)
    citation = metadata(document)
    url = "https://static.history.state.gov/frus-history/documents/1991-03-13-hac-meeting-record.pdf"
    title = "Record of Historical Advisory Committee Meeting, March 1991"
    assert citation.item["type"] == "manuscript"
    assert render(citation, "chicago-note") == f"“{title},” March 13, 1991, {url}."
    assert render(citation, "chicago-bibliography") == f"“{title}.” March 13, 1991. {url}."
    first = document.units()[0]
    section = metadata(document, first)
    assert render(section, "chicago-note") == f"“{title},” March 13, 1991, sec. 1, {url}."
    # two levels down, the reference is the locator: a range of two sections
    ranged = metadata(document, passage_ref="div1.p2-p3")
    assert render(ranged, "chicago-note") == f"“{title},” March 13, 1991, secs. div1.p2–p3, {url}."
    assert render(ranged, "chicago-bibliography") == f"“{title}.” March 13, 1991. {url}."


# -- the parts, on their own -------------------------------------------------------------

@pytest.mark.parametrize("pages, shown", [
    # CMOS 17, 9.61, the table's own examples
    ("3-10", "3–10"), ("71-72", "71–72"), ("96-117", "96–117"), ("100-104", "100–104"),
    ("1100-1113", "1100–1113"), ("101-108", "101–8"), ("808-833", "808–33"), ("1103-1104", "1103–4"),
    ("321-328", "321–28"), ("498-532", "498–532"), ("1087-1089", "1087–89"), ("1496-1500", "1496–500"),
    ("11564-11615", "11564–615"), ("12991-13001", "12991–3001"),
    # ours
    ("593-594", "593–94"), ("593–594", "593–94"), ("593-94", "593–94"), ("594", "594"),
    ("xii-xv", "xii–xv"), ("593-594, 600-601", "593–94, 600–601"), ("5-5", "5–5"),
])
def test_page_ranges_abbreviate_as_chicago_does(pages: str, shown: str) -> None:
    assert chicago.page_range(pages) == shown


@pytest.mark.parametrize("date, shown", [
    ({"date-parts": [[1959, 9, 24]]}, "September 24, 1959"), ({"date-parts": [[1959, 9]]}, "September 1959"),
    ({"date-parts": [[1959]]}, "1959"), ({"date-parts": [[1958], [1960]]}, "1958–1960"),
    ({"literal": "ca. 1959"}, "ca. 1959"), ({"date-parts": [[1959, 13, 1]]}, "1959"), (None, None),
    # a FRUS dateline's date and time, as the dateline prints it ("October 21, 1958, 4 p.m.")
    ({"literal": "1958-10-21T16:00:00"}, "October 21, 1958, 4 p.m."),
    ({"literal": "1958-10-21T16:30:00"}, "October 21, 1958, 4:30 p.m."),
    ({"literal": "1958-10-21T12:00:00"}, "October 21, 1958, noon"),
    ({"literal": "1958-10-21T00:00:00"}, "October 21, 1958, midnight"),
    ({"literal": "1958-10-21T09:05:00Z"}, "October 21, 1958, 9:05 a.m."),
    ({"literal": "1958-13-21T16:00:00"}, "1958-13-21T16:00:00"),
])
def test_dates(date: Any, shown: str | None) -> None:
    assert chicago.date_text(date) == shown


def test_names_and_et_al() -> None:
    people = [{"family": f"Name{i}", "given": "A."} for i in range(12)]
    assert chicago.name_list(people[:2], inverted=False, et_al=(4, 1)) == "A. Name0 and A. Name1"
    assert chicago.name_list(people[:3], inverted=False, et_al=(4, 1)) == "A. Name0, A. Name1, and A. Name2"
    assert chicago.name_list(people[:4], inverted=False, et_al=(4, 1)) == "A. Name0 et al."
    assert chicago.name_list(people[:2], inverted=True, et_al=(11, 7)) == "Name0, A., and A. Name1"
    assert chicago.name_list(people, inverted=True, et_al=(11, 7)).endswith("A. Name6, et al.")
    assert chicago.name_list([{"literal": "Department of State"}], inverted=True, et_al=(11, 7)) == (
        "Department of State")


def test_title_punctuation_quotes_and_escaping() -> None:
    item = {"id": "x", "type": "manuscript", "title": "What Now?", "author": [{"family": "Doe", "given": "Jo"}],
            "issued": {"date-parts": [[2001]]}, "URL": "https://example.org/?a=1&b=2"}
    assert chicago.note(item) == "Jo Doe, “What Now?” 2001, https://example.org/?a=1&b=2."
    assert chicago.bibliography(item) == "Doe, Jo. “What Now?” 2001. https://example.org/?a=1&b=2."
    item["title"] = "On “Peiping” & <Taipei>"
    assert chicago.note(item, markup="html") == (
        "Jo Doe, “On ‘Peiping’ &amp; &lt;Taipei&gt;,” 2001, https://example.org/?a=1&amp;b=2.")


def test_sparse_items_say_what_they_lack() -> None:
    assert chicago.note({"id": "x", "type": "manuscript"}) == "Unpublished manuscript, n.d."
    assert chicago.note({"id": "x", "type": "manuscript", "title": "Minutes"}, "2", "paragraph") == (
        "“Minutes,” unpublished manuscript, n.d., para. 2.")
    assert chicago.bibliography({"id": "x", "type": "chapter", "page": "x"}) == "x. n.d."


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_NAMES = st.lists(st.one_of(st.fixed_dictionaries({"family": _TEXT}, optional={"given": _TEXT, "suffix": _TEXT}),
                            st.fixed_dictionaries({"literal": _TEXT})), max_size=5)
_DATES = st.one_of(st.fixed_dictionaries({"date-parts": st.lists(st.lists(st.integers(-3000, 3000), min_size=1,
                                                                          max_size=3), min_size=1, max_size=2)}),
                   st.fixed_dictionaries({"literal": _TEXT}))
_ITEMS = st.fixed_dictionaries(
    {"id": st.just("x"), "type": st.sampled_from(["chapter", "manuscript"])},
    optional={"title": _TEXT, "author": _NAMES, "editor": _NAMES, "container-title": _TEXT, "number": _TEXT,
              "publisher": _TEXT, "publisher-place": _TEXT, "page": _TEXT, "URL": _TEXT, "issued": _DATES,
              "original-date": _DATES})


@settings(max_examples=300, deadline=None)
@given(item=_ITEMS, locator=st.one_of(st.none(), _TEXT), label=st.sampled_from([None, *chicago._LOCATOR_TERMS]),
       markup=st.sampled_from(MARKUPS))
def test_any_item_renders_and_html_holds_only_italics(item: dict[str, Any], locator: str | None,
                                                      label: str | None, markup: str) -> None:
    for text in (chicago.note(item, locator, label, markup), chicago.bibliography(item, markup)):
        assert isinstance(text, str)
        if markup == "html":
            assert not re.search(r"<(?!/?i>)", text)  # the header's "<" is escaped; only <i> is markup


# -- the oracle: citeproc-py and the official style ------------------------------------------

class Oracle:
    """citeproc-py with the official CSL style, made usable as a reference: its lookups are
    memoised (70 ms a note otherwise), ``initialize-with`` is taken off (citeproc-py ignores
    ``initialize="false"``) and en-US punctuation-in-quote is applied after it."""

    def __init__(self) -> None:
        from citeproc import CitationStylesStyle, model

        _memoise(model)
        tree = etree.parse(str(CHICAGO_STYLE))
        tree.getroot().attrib.pop("initialize-with", None)
        self.style = CitationStylesStyle(io.BytesIO(etree.tostring(tree)), locale="en-US", validate=False)

    def render_both(self, item: dict[str, Any], locator: str | None,
                    label: str | None) -> dict[str, tuple[str, str]]:
        """Markup → (note, entry), from one run of the HTML formatter: citeproc-py's plain
        text is its HTML without the italics' tags, where the text holds no markup of its own
        (half the oracle's time over the corpus)."""
        html = self.render(item, locator, label, "html")
        if any(c in text.replace("<i>", "").replace("</i>", "") for text in html for c in "<>&"):
            return {markup: self.render(item, locator, label, markup) for markup in MARKUPS}
        text = tuple(part.replace("<i>", "").replace("</i>", "") for part in html)
        return {"text": text, "html": html}  # type: ignore[dict-item]

    def render(self, item: dict[str, Any], locator: str | None, label: str | None,
               markup: str) -> tuple[str, str]:
        """(note, bibliography entry) for ``item``."""
        from citeproc import Citation as CslCitation
        from citeproc import CitationItem, CitationStylesBibliography, formatter
        from citeproc.source import Locator
        from citeproc.source.json import CiteProcJSON

        engine = CitationStylesBibliography(self.style, CiteProcJSON([item]),
                                            formatter.html if markup == "html" else formatter.plain)
        # citeproc-py reads every hyphen of a locator as a range ("leopold–to–kennan"); a
        # non-breaking hyphen keeps a reference's own hyphens through it
        options = {"locator": Locator(label or "section", locator.replace("-", "\u2011"))} if locator else {}
        cite = CslCitation([CitationItem(str(item["id"]), **options)])
        engine.register(cite)
        note = str(engine.cite(cite, lambda _: None))
        if locator:
            # a bibliography lists the whole item: citeproc-py would put the locator in its place
            return self._fixed(note, item), self.render(item, None, None, markup)[1]
        entries = [str(entry) for entry in engine.bibliography()]
        return self._fixed(note, item), self._fixed(entries[0] if entries else "", item)

    @staticmethod
    def _fixed(text: str, item: dict[str, Any]) -> str:
        text = re.sub(r"([”’])([,.])", r"\2\1", text).strip().replace("\u2011", "-")
        if not item.get("author"):
            # CSL suppresses the title once <substitute> has put it in the author's place;
            # citeproc-py does not when that happens through a macro
            text = re.sub(r"(“[^“”]+”) \1", r"\1", text)
        title = str(item.get("title", ""))
        # headline-casing of a title the header already cased: "Couve De Murville"
        return re.sub(re.escape(title), lambda _: title, text, flags=re.I) if title else text


def _memoise(model: Any) -> None:
    """Per-element caches of citeproc-py's questions to the (unchanging) style tree."""
    if getattr(model.CitationStylesElement.get_macro, "memoised", False):
        return
    macros: dict[tuple[int, str], Any] = {}
    get_macro = model.CitationStylesElement.get_macro

    def cached_macro(self: Any, name: str) -> Any:
        key = (id(self.get_root()), name)
        if key not in macros:
            macros[key] = get_macro(self, name)
        return macros[key]

    cached_macro.memoised = True  # type: ignore[attr-defined]
    model.CitationStylesElement.get_macro = cached_macro
    searches: dict[tuple[Any, str], Any] = {}
    search = model.CitationStylesElement.xpath_search

    def cached_search(self: Any, expression: str) -> Any:
        key = (self, expression)
        if key not in searches:
            searches[key] = search(self, expression)
        return searches[key]

    model.CitationStylesElement.xpath_search = cached_search
    for klass in vars(model).values():
        original = getattr(klass, "__dict__", {}).get("calls_variable")
        if callable(original):
            answers: dict[Any, bool] = {}

            def calls_variable(self: Any, _original: Any = original, _answers: dict[Any, bool] = answers) -> bool:
                if self not in _answers:
                    _answers[self] = _original(self)
                return _answers[self]

            klass.calls_variable = calls_variable


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    return Oracle()


def _corpus_citations(memo_path: Path, frus_volume: Path, history_documents: Path) -> list[Citation]:
    memo = load(memo_path)
    citations = [metadata(memo, memo.units()[0]), metadata(memo, passage_ref="d300.p4"),
                 metadata(memo, passage_ref="d300.p1-p2")]
    volume = load(frus_volume)
    citations += [metadata(volume, unit.element) for unit in volume.citer.units if unit.parent is None]
    for path in sorted(history_documents.glob("*.xml")):
        document = load(path)
        citations.append(metadata(document))
        citations += [metadata(document, unit) for unit in document.units()[:1]]
    return citations


@pytest.fixture(scope="session")
def corpus(memo_path: Path, frus_volume: Path, history_documents: Path,
           oracle: Oracle) -> list[dict[str, Any]]:
    """Every corpus item rendered once, ours and the oracle's, with and without the
    document's own date: one row per (item, markup)."""
    rows = []
    for citation in _corpus_citations(memo_path, frus_volume, history_documents):
        item = citation.item
        undated = {key: value for key, value in item.items() if key != "original-date"}
        theirs = oracle.render_both(undated, citation.locator, citation.label)
        for markup in MARKUPS:
            ours = (chicago.note(item, citation.locator, citation.label, markup),
                    chicago.bibliography(item, markup))
            ours_undated = (chicago.note(undated, citation.locator, citation.label, markup),
                            chicago.bibliography(undated, markup))
            rows.append({"citation": citation, "item": item, "markup": markup, "ours": ours,
                         "ours_undated": ours_undated,
                         "oracle_undated": theirs[markup]})
    return rows


def shown(value: str, row: dict[str, Any]) -> str:
    """``value`` as the row's markup prints it."""
    return escape(value, quote=False) if row["markup"] == "html" else value


def test_the_oracles_text_is_its_html_without_italics(memo_citation: Citation, oracle: Oracle) -> None:
    item = memo_citation.item
    assert oracle.render_both(item, "4", "paragraph") == {
        markup: oracle.render(item, "4", "paragraph", markup) for markup in MARKUPS}


def test_the_corpus_is_all_there(corpus: list[dict[str, Any]]) -> None:
    items = {row["item"]["id"] for row in corpus}
    assert len([i for i in items if str(i).startswith("frus1958-60v19-")]) == 404
    assert len([row for row in corpus if row["item"]["type"] == "manuscript"]) >= 63 * 2 * len(MARKUPS)
    assert {row["markup"] for row in corpus} == set(MARKUPS)


def _sentence(text: str) -> str:
    # citeproc-py leaves a name's lowercase particle lowercase at the start of a note
    # ("de la Mare, …"); Chicago capitalises it there (CMOS 8.5), as we do
    return text[:1].upper() + text[1:]


def test_items_with_an_author_equal_the_official_style(corpus: list[dict[str, Any]]) -> None:
    authored = [row for row in corpus if row["item"].get("author")]
    assert len({row["item"]["id"] for row in authored}) >= 98
    differing = [(row["item"]["id"], row["markup"], ours, theirs)
                 for row in authored for ours, theirs in zip(row["ours_undated"], row["oracle_undated"], strict=False)
                 if ours != _sentence(theirs)]
    assert differing == []


def test_a_name_with_a_particle(volume_citations: list[Citation]) -> None:
    """d151's sender is "de la Mare" in the heading, with no entry in the list of persons."""
    citation = next(c for c in volume_citations if c.ref == "d151")
    assert citation.item["author"] == [{"family": "de la Mare"}]
    assert chicago.note(citation.item).startswith("De la Mare, “Letter From the Counselor")
    assert chicago.bibliography(citation.item).startswith("De la Mare. “Letter From the Counselor")


def test_manuscripts_equal_the_official_style(corpus: list[dict[str, Any]]) -> None:
    manuscripts = [row for row in corpus if row["item"]["type"] == "manuscript"]
    assert manuscripts
    differing = [(row["item"]["id"], row["markup"], ours, theirs)
                 for row in manuscripts
                 for ours, theirs in zip(row["ours_undated"], row["oracle_undated"], strict=False)
                 if ours != theirs]
    assert differing == []


def test_authorless_documents_begin_with_the_title_and_name_the_editor_once(
        corpus: list[dict[str, Any]]) -> None:
    authorless = [row for row in corpus if not row["item"].get("author") and row["item"]["type"] == "chapter"]
    assert len({row["item"]["id"] for row in authorless}) >= 300
    for row in authorless:
        item, (note, entry) = row["item"], row["ours"]
        editor = chicago.name_list(item["editor"], inverted=False, et_al=(4, 1))
        for text in (note, entry):
            assert text.startswith(f"“{shown(item['title'], row)}") and text.endswith(f"{shown(item['URL'], row)}.")
            assert text.count(editor) == 1, text
        # from the title on, the style (through citeproc-py) and we agree
        for ours, theirs in zip(row["ours_undated"], row["oracle_undated"], strict=False):
            assert theirs.endswith(ours), (ours, theirs)
            assert theirs[:-len(ours)].rstrip(",. ") == editor


def test_the_document_date_follows_the_title(corpus: list[dict[str, Any]]) -> None:
    dated = [row for row in corpus if row["item"].get("original-date")]
    assert len({row["item"]["id"] for row in dated}) >= 340
    for row in dated:
        date = chicago.date_text(row["item"]["original-date"])
        title = row["item"]["title"]
        note, entry = row["ours"]
        assert f"{title},” {date}, in " in note
        assert f"{title}.” {date.removesuffix('.')}. In " in entry  # "4 p.m. In", not "p.m.. In"
        # and not again as a reprint's first date inside the imprint
        year = re.search(r"\d{4}", date).group()
        assert f"({year};" not in note and f"{year}; " not in entry


def test_nothing_the_item_says_is_dropped(corpus: list[dict[str, Any]]) -> None:
    for row in corpus:
        item, citation = row["item"], row["citation"]
        note, entry = row["ours"]
        wanted = [item.get("title"), item.get("container-title"), item.get("publisher"),
                  item.get("publisher-place"), item.get("number"), chicago.date_text(item.get("original-date"))]
        wanted += [name.get("family") or name.get("literal") for key in ("author", "editor")
                   for name in item.get(key, [])]
        if item["type"] == "manuscript":
            wanted.append(chicago.date_text(item.get("issued")))
        else:
            wanted.append(str(item["issued"]["date-parts"][0][0]))
        wanted.append(item.get("URL"))
        for value in filter(None, wanted):
            assert shown(str(value), row) in note and shown(str(value), row) in entry, (value, note, entry)
        if item.get("page"):
            assert chicago.page_range(item["page"]) in entry
            if not citation.locator:
                assert chicago.page_range(item["page"]) in note
        if citation.locator:
            assert f" {citation.locator}, " in note


def test_rendering_is_deterministic(corpus: list[dict[str, Any]]) -> None:
    for row in corpus[:200]:
        citation = row["citation"]
        again = (chicago.note(row["item"], citation.locator, citation.label, row["markup"]),
                 chicago.bibliography(row["item"], row["markup"]))
        assert again == row["ours"]


SYNTHETIC = {
    "three authors": {"author": [{"family": f"Roe{i}", "given": "Ann"} for i in range(3)]},
    "four authors": {"author": [{"family": f"Roe{i}", "given": "Ann"} for i in range(4)]},
    "twelve authors": {"author": [{"family": f"Roe{i}", "given": "Ann"} for i in range(12)]},
    "an office": {"author": [{"literal": "Department of State"}]},
    "a particle": {"author": [{"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de"}]},
    "a publisher": {"author": [{"family": "Doe", "given": "Jo"}], "publisher": "Office of the Historian",
                    "publisher-place": "Washington"},
    "an editor": {"author": [{"family": "Doe", "given": "Jo"}], "editor": [{"family": "Roe", "given": "Ann"}]},
    "a month": {"author": [{"family": "Doe", "given": "Jo"}], "issued": {"date-parts": [[1991, 3]]}},
    "a number": {"author": [{"family": "Doe", "given": "Jo"}], "number": "12"},
    "no URL": {"author": [{"family": "Doe", "given": "Jo"}], "URL": None},
    "a book of papers": {"type": "chapter", "author": [{"family": "Doe", "given": "Jo"}], "container-title": "Papers",
                         "number": "A-12", "page": "321-328", "publisher-place": "Boston"},
}


@pytest.mark.parametrize("case", sorted(SYNTHETIC))
def test_other_shapes_of_item_equal_the_official_style(case: str, oracle: Oracle) -> None:
    item = {"id": "x", "type": "manuscript", "title": "Minutes of the Meeting",
            "issued": {"date-parts": [[1991, 3, 13]]}, "URL": "https://example.org/x.pdf", **SYNTHETIC[case]}
    item = {key: value for key, value in item.items() if value is not None}
    for markup in MARKUPS:
        ours = (chicago.note(item, markup=markup), chicago.bibliography(item, markup=markup))
        theirs = oracle.render(item, None, None, markup)
        if case == "no URL":  # the style leaves an inaccessible manuscript out of a bibliography
            ours, theirs = ours[:1], theirs[:1]
        assert ours == theirs


#: Labels citeproc-py 0.11 gets wrong: it does not fall back from a missing short term to the
#: long one (act; timestamp, "at" in the style's own locale), and never finds a locator
#: numeric, so it drops the label the style's label-locator macro gives a numbered chapter,
#: line or verse.
CITEPROC_LABEL_DEFECTS = {"act": ("act 4", "acts 4–6"), "timestamp": ("at 4", "at 4–6"),
                          "chapter": ("chap. 4", "chaps. 4–6"), "line": ("line 4", "lines 4–6"),
                          "verse": ("v. 4", "vv. 4–6")}


@pytest.mark.parametrize("label", sorted(chicago._LOCATOR_TERMS))
def test_every_locator_label_as_the_style_prints_it(label: str, memo_citation: Citation, oracle: Oracle) -> None:
    item = {key: value for key, value in memo_citation.item.items() if key != "original-date"}
    for index, locator in enumerate(["4", "4–6"]):
        for markup in MARKUPS:
            ours = chicago.note(item, locator, label, markup)
            if label in CITEPROC_LABEL_DEFECTS:
                assert f"), {CITEPROC_LABEL_DEFECTS[label][index]}, https://" in ours
            else:
                assert ours == oracle.render(item, locator, label, markup)[0]
    # a reference that is not a number: no label for a canonical chapter, line or verse
    shown = chicago.note(item, "IV.ii", label)
    assert ("), IV.ii, https://" in shown) == (label in ("chapter", "line", "verse", "page"))
