"""TEI the toolkit was not written for: six real files from other projects (../shared/any-tei/).

Each file is built as a web page and as text, as a new user would build it, and each output must
hold at least 99.5 % of the words of the file's ``text``, in order and in context (notes may come
at the end of the text, where both outputs gather them), with no element of TEI left to the
fallback (W0301) and no writer failure.  Words the source breaks across a line (``lb`` with
``break="no"``) must appear whole.
"""

from __future__ import annotations

import collections
from pathlib import Path

import lxml.html
import pytest
from checker import checker_reason, html_errors
from conftest import shared_path
from lxml import etree
from web import AXE, axe_violations, chromium, console_errors, served
from wordorder import WORD, found_in_order, html_words, output_words, tei_words

from edition.build import build
from edition.document import TEI_NS, load
from edition.transforms.stage import plain_text

#: The share of the words of a file's text each output must hold, in context.
REQUIRED = 0.995

FILES = ("F-rom.xml", "kant_rvernunft_1781.TEI-P5.xml", "let695.xml", "osinski.xml", "CIDTC-3823-cortez.xml",
         "27003.xml")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    folder = shared_path("any-tei")
    out = tmp_path_factory.mktemp("any-tei") / "edition"
    report = build([folder / name for name in FILES], out=out, formats=["html", "text"])
    return folder, out, report


#: What may stand between a break that splits a word and the rest of the word (forme work:
#: a signature, a catchword; other breaks; milestones and anchors): none of it ends the word.
_INVISIBLE = frozenset({"lb", "pb", "cb", "fw", "milestone", "anchor"})
_HYPHENS = ("-", "\u00ac", "\u2010", "\u2e17", "=")


def _text_element(path: Path) -> etree._Element:
    """The file's ``text`` as a reader reads it: a word split by a break with ``@break='no'`` whole,
    across the forme work and breaks that may follow the break (a catchword, a page break), and
    without the hyphen printed before a line break of that kind (the reading text drops it)."""
    document = load(path)
    text = document.root.find(f"{{{TEI_NS}}}text")
    assert text is not None, f"{path.name} has no <text>"
    for brk in list(text.iter(f"{{{TEI_NS}}}lb", f"{{{TEI_NS}}}pb", f"{{{TEI_NS}}}cb")):
        if brk.get("break") == "no":
            _join(brk)
    return text


def _join(brk: etree._Element) -> None:
    previous, parent = brk.getprevious(), brk.getparent()
    before = previous.tail if previous is not None else parent.text if parent is not None else None
    if before is not None:
        before = before.rstrip()
        if etree.QName(brk).localname == "lb" and before.endswith(_HYPHENS):
            before = before[:-1]
        if previous is not None:
            previous.tail = before
        elif parent is not None:
            parent.text = before
    current = brk
    while not (current.tail or "").strip():
        current.tail = ""
        following = current.getnext()
        if following is None or not isinstance(following.tag, str) \
                or etree.QName(following).localname not in _INVISIBLE:
            return
        if etree.QName(following).localname in ("lb", "pb", "cb"):
            following.set("break", "no")
        elif etree.QName(following).localname == "milestone":
            following.tag = f"{{{TEI_NS}}}anchor"  # a phrase-level mark: no word boundary
        current = following
    current.tail = (current.tail or "").lstrip()


def _outputs(out: Path, name: str) -> tuple[list[str], list[str]]:
    stem = Path(name).stem
    page, text = out / "html" / f"{stem}.html", out / "text" / f"{stem}.txt"
    assert page.is_file() and text.is_file(), f"{name}: expected {page.name} and {text.name} in {out}"
    return html_words(page.read_bytes()), output_words(text.read_text(encoding="utf-8"))


def _report_missing(label: str, tei: list[str], missing: list[int]) -> str:
    shown = []
    for index in missing[:12]:
        shown.append(" ".join(tei[max(0, index - 4):index]) + f" [{tei[index]}] " + " ".join(tei[index + 1:index + 4]))
    return f"{label}: {len(missing)} of {len(tei)} words missing or out of place, first at:\n  " + "\n  ".join(shown)


@pytest.mark.parametrize("name", FILES)
def test_every_word_of_the_text_is_in_both_outputs(built, name: str) -> None:
    folder, out, _ = built
    tei = tei_words(_text_element(folder / name))
    assert len(tei) > 100, f"{name}: the test reads too few words ({len(tei)}) to mean anything"
    page, text = _outputs(out, name)
    for label, output in (("html", page), ("text", text)):
        found, missing = found_in_order(tei, output)
        assert found / len(tei) >= REQUIRED, _report_missing(f"{name} ({label}, {found / len(tei):.2%})",
                                                             tei, missing)


def test_no_tei_element_is_left_to_the_fallback_and_no_writer_fails(built) -> None:
    _, _, report = built
    unknown = [str(d) for d in report.diagnostics if d.code == "W0301"]
    assert unknown == []
    failed = [str(d) for d in report.diagnostics if d.code in ("E0602", "E0603")]
    assert failed == []
    assert report.units >= len(FILES)


def test_elements_of_other_namespaces_are_reported_once_per_name_and_file(built) -> None:
    _, _, report = built
    foreign = collections.Counter((d.path, d.message) for d in report.diagnostics if d.code == "W0303")
    # the Van Gogh letters' own <vg:whiteline>, met by two writers, once
    assert any(path.endswith("let695.xml") and "<whiteline>" in message for path, message in foreign)
    assert all(count == 1 for count in foreign.values()), foreign


def _joined_words(text: etree._Element) -> list[str]:
    """The words the source breaks with ``@break='no'``, joined as a reader reads them (``text`` as
    :func:`_text_element` gives it: each break the head of a chain of invisible elements)."""
    joined: list[str] = []
    for brk in text.iter(f"{{{TEI_NS}}}lb", f"{{{TEI_NS}}}pb", f"{{{TEI_NS}}}cb"):
        previous = brk.getprevious()
        if brk.get("break") != "no" or previous is not None and not previous.tail \
                and etree.QName(previous).localname in _INVISIBLE:
            continue  # not a break that splits a word, or not the first of its chain
        parent = brk.getparent()
        before = (previous.tail or "" if previous is not None else parent.text or "" if parent is not None else "")
        end = brk
        while not end.tail and end.getnext() is not None and etree.QName(end.getnext()).localname in _INVISIBLE:
            end = end.getnext()
        after = end.tail or ""
        if before.strip() and after.strip() and not before[-1].isspace():
            # joined as text first, then the word that spans the join; none where a combining
            # letter ends the first half (Geringſchaͤ|tzung): words() splits it there in every output
            first = before.split()[-1]
            token = (first + after.split()[0]).casefold()
            joined += [match.group() for match in WORD.finditer(token)
                       if match.start() < len(first) < match.end()]
    return joined


@pytest.mark.parametrize("name", ["kant_rvernunft_1781.TEI-P5.xml"])
def test_words_broken_across_lines_appear_whole(built, name: str) -> None:
    folder, out, _ = built
    joined = _joined_words(_text_element(folder / name))
    assert len(joined) > 1000  # the Kant breaks thousands of words at line ends
    page, text = _outputs(out, name)
    for label, output in (("html", set(page)), ("text", set(text))):
        broken = [word for word in joined if word not in output]
        assert len(broken) <= len(joined) * (1 - REQUIRED), (
            f"{name} ({label}): {len(broken)} of {len(joined)} words broken at a line end are not whole, "
            f"e.g. {broken[:10]}")


def test_every_page_is_valid_html5(built) -> None:
    # a play's acts without heads once made its scenes' h4 follow the title's h2, and a listBibl's
    # bibl an item inside an item: the checker refuses both
    reason = checker_reason()
    if reason:
        pytest.skip(reason)
    _, out, _ = built
    problems = html_errors([out / "html" / f"{Path(name).stem}.html" for name in FILES])
    assert problems == [], "\n".join(problems[:30])


@pytest.mark.parametrize(("name", "listed"), [("F-rom.xml", 25), ("kant_rvernunft_1781.TEI-P5.xml", 162)])
def test_a_long_page_lists_its_divisions_each_linking_to_its_heading(built, name: str, listed: int) -> None:
    folder, out, _ = built
    page = lxml.html.document_fromstring((out / "html" / f"{Path(name).stem}.html").read_bytes())
    links = page.xpath("//nav[@class='page-contents']//a")
    source = load(folder / name)
    headed = [d for d in source.root.iter(*(f"{{{TEI_NS}}}div{n}" for n in ("", *"1234567")))
              if d.find(f"{{{TEI_NS}}}head") is not None and plain_text(d.find(f"{{{TEI_NS}}}head"))]
    assert len(links) == len(headed) == listed
    for link, division in zip(links, headed, strict=True):
        targets = page.xpath(f"//*[@id='{link.get('href')[1:]}']")
        assert len(targets) == 1, link.get("href")
        heading = targets[0].xpath("(.//h1|.//h2|.//h3|.//h4|.//h5|.//h6|.//p[contains(@class, 'head')])[1]")[0]
        # the heading's text, without the calls of the notes it holds
        for call in heading.xpath(".//a[contains(@class, 'note-call')]"):
            call.drop_tree()
        assert " ".join(heading.text_content().split()) == link.text_content() \
            == plain_text(division.find(f"{{{TEI_NS}}}head"))


def test_a_short_page_lists_none(built) -> None:
    _, out, _ = built
    for name in ("let695.xml", "osinski.xml", "CIDTC-3823-cortez.xml", "27003.xml"):
        assert b"page-contents" not in (out / "html" / f"{Path(name).stem}.html").read_bytes(), name


@pytest.mark.browser
def test_every_page_passes_axe_in_a_browser_without_console_errors(built, tmp_path: Path) -> None:
    # Kant's lists set inline (in a paragraph) held items that were not list items to a screen reader
    if not AXE.is_file():
        pytest.skip("node_modules/axe-core missing: run npm ci (install.sh does)")
    _, out, _ = built
    found: dict[str, object] = {}
    with served(out / "html") as url, chromium(tmp_path / "chromium", "1280,1000", timeout=120) as browser:
        browser.set_script_timeout(120)
        for name in FILES:
            browser.get(f"{url}/{Path(name).stem}.html")
            problems = axe_violations(browser) + console_errors(browser)
            if problems:
                found[name] = problems
    assert found == {}
