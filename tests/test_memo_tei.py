"""Checks of the TEI encoding of FRUS 1958-1960, vol. XIX, document 300 against its seed text.

The seed (``../shared/seed/memo.txt``) is the plain text of the printed document with the
printed apparatus inline: the source-note marker ``0`` glued to the last word of the title,
the page break ``[Page 594]``, the list bullet ``•`` of the subject line and the list number
``1.`` of the source note at the end.  In the TEI file that apparatus is markup, not text, and
the source note sits at its anchor (inside the heading, after "Herter").  The word-order checks
therefore compare the seed, with the note text moved to its marker, to the *diplomatic*
reading of ``//text`` (``sic`` rather than ``corr`` inside ``choice``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEI_FILE = REPO / "tei" / "frus1958-60v19-d300.xml"
SEED_FILE = SHARED / "seed" / "memo.txt"
RNG_FILE = REPO / "schema" / "tei-p5" / "tei_all.rng"

TEI_NS = "http://www.tei-c.org/ns/1.0"
NS = {"tei": TEI_NS}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

# Attributes whose values are (lists of) pointers; "#x" must resolve to an xml:id in the file.
POINTER_ATTRS = (
    "ref", "target", "ana", "resp", "facs", "who", "corresp", "scheme",
    "active", "passive", "mutual", "source", "sameAs", "prev", "next",
)

TOKEN_RE = re.compile(r"\w+|[^\w\s]")

# Alternatives of a <choice> left out of the diplomatic reading.
EDITORIAL_ALTERNATIVES = {"corr", "reg", "expan"}

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(),
    reason=f"shared reference folder {SHARED} is absent (needed for the seed text and tei_all.rng)",
)
needs_seed = pytest.mark.skipif(
    not SEED_FILE.is_file(), reason=f"seed text {SEED_FILE} is absent"
)


# --------------------------------------------------------------------------- helpers


def tokenize(text: str) -> list[str]:
    """Words (runs of word characters) and single punctuation marks."""
    return TOKEN_RE.findall(text)


def local(el) -> str | None:
    return etree.QName(el).localname if isinstance(el.tag, str) else None


def diplomatic_text(elem) -> str:
    """String value of ``elem`` in the diplomatic reading.

    Inside ``choice`` the editorial alternatives (corr, reg, expan) are dropped, so
    ``<choice><sic>wait</sic><corr>that</corr></choice>`` reads "wait".  A ``note`` is a
    separate flow of text: it is delimited by spaces so its first and last words never fuse
    with the words around its anchor.  Comments and processing instructions are skipped.
    """
    parts: list[str] = []

    def walk(el) -> None:
        name = local(el)
        parent = el.getparent()
        skip = name is None or (
            name in EDITORIAL_ALTERNATIVES and parent is not None and local(parent) == "choice"
        )
        if not skip:
            if name == "note":
                parts.append(" ")
            parts.append(el.text or "")
            for child in el:
                walk(child)
                parts.append(child.tail or "")
            if name == "note":
                parts.append(" ")

    walk(elem)
    return "".join(parts)


def first_missing(needle: list[str], haystack: list[str]) -> int | None:
    """Index of the first token of ``needle`` that cannot be matched, in order, in
    ``haystack`` (i.e. ``needle`` is not a subsequence from there on); None if it is one."""
    pos = 0
    for i, tok in enumerate(needle):
        while pos < len(haystack) and haystack[pos] != tok:
            pos += 1
        if pos == len(haystack):
            return i
        pos += 1
    return None


def seed_parts(seed: str) -> dict[str, str]:
    """Split the seed into title, source note and body, removing the printed apparatus."""
    lines = [line.strip() for line in seed.splitlines() if line.strip()]
    title, rest = lines[0], lines[1:]
    m = re.fullmatch(r"(.*\D)0", title)
    assert m, f"seed title should end with the source-note marker 0: {title!r}"
    note_lines = [line for line in rest if re.match(r"1\.\s+Source:", line)]
    assert len(note_lines) == 1, "seed should have exactly one '1. Source:' line"
    body_lines = [line for line in rest if line not in note_lines]
    assert body_lines[0].startswith("•"), "seed subject line should start with a bullet"
    body_lines[0] = body_lines[0].lstrip("•").strip()
    body = "\n".join(body_lines)
    assert body.count("[Page 594]") == 1, "seed should carry one [Page 594] marker"
    return {
        "title": m.group(1),
        "note": re.sub(r"^1\.\s+", "", note_lines[0]),
        "body": body.replace("[Page 594]", " "),
    }


def seed_tokens(seed: str) -> list[str]:
    """Seed tokens in reading order, with the source note at its marker after the title."""
    parts = seed_parts(seed)
    return tokenize(parts["title"]) + tokenize(parts["note"]) + tokenize(parts["body"])


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tree():
    return etree.parse(str(TEI_FILE))


@pytest.fixture(scope="module")
def root(tree):
    return tree.getroot()


@pytest.fixture(scope="module")
def doc_div(root):
    divs = root.xpath("/tei:TEI/tei:text/tei:body/tei:div[@type='document']", namespaces=NS)
    assert len(divs) == 1
    return divs[0]


@pytest.fixture(scope="module")
def ids(root):
    return {el.get(XML_ID): el for el in root.iter() if el.get(XML_ID) is not None}


@pytest.fixture(scope="module")
def seed_text():
    if not SEED_FILE.is_file():
        pytest.skip(f"seed text {SEED_FILE} is absent")
    return SEED_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def text_tokens(root):
    text = root.find(f"{{{TEI_NS}}}text")
    return tokenize(diplomatic_text(text))


@pytest.fixture(scope="module")
def relaxng():
    """tei_all compiled once for the module (about 15 s with lxml)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared reference folder {SHARED} is absent: no tei_all.rng to validate against")
    if not RNG_FILE.is_file():
        pytest.skip(f"{RNG_FILE} is absent")
    return etree.RelaxNG(file=str(RNG_FILE))


# --------------------------------------------------------------------------- (a) well-formed


def test_well_formed_tei_root():
    tree = etree.parse(str(TEI_FILE))  # raises XMLSyntaxError if not well-formed
    root = tree.getroot()
    assert root.tag == f"{{{TEI_NS}}}TEI"
    assert root.get(XML_ID) == "frus1958-60v19-d300"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    children = [local(c) for c in root if local(c)]
    assert children[0] == "teiHeader"
    assert "standOff" in children and "facsimile" in children and children[-1] == "text"


# --------------------------------------------------------------------------- (b) seed words in order


def test_helpers_on_known_cases():
    assert tokenize("Communists’ program from “economic chaos.” US–USSR") == [
        "Communists", "’", "program", "from", "“", "economic", "chaos", ".", "”",
        "US", "–", "USSR",
    ]
    assert first_missing(["a", "c"], ["a", "b", "c"]) is None
    assert first_missing(["c", "a"], ["a", "b", "c"]) == 1
    assert first_missing(["a", "x"], ["a", "b", "c"]) == 1
    el = etree.fromstring(
        f'<p xmlns="{TEI_NS}">suggest <choice><sic>wait</sic><corr>that</corr></choice> the'
        f'<note>Source: x</note> end</p>'
    )
    assert tokenize(diplomatic_text(el)) == ["suggest", "wait", "the", "Source", ":", "x", "end"]


@needs_seed
def test_seed_tokens_are_a_subsequence_of_the_text(seed_text, text_tokens):
    expected = seed_tokens(seed_text)
    assert len(expected) > 500
    miss = first_missing(expected, text_tokens)
    assert miss is None, (
        f"seed token #{miss} {expected[miss]!r} not found in order; "
        f"seed context: {' '.join(expected[max(0, miss - 8):miss + 3])}"
    )


@needs_seed
def test_subsequence_check_can_fail(seed_text, text_tokens):
    expected = seed_tokens(seed_text)
    # An altered word is detected ...
    altered = list(expected)
    i = altered.index("rebuffed")
    altered[i] = "accepted"
    assert first_missing(altered, text_tokens) == i
    # ... and so is a transposition of two words.
    swapped = list(expected)
    j = swapped.index("urgent")
    swapped[j], swapped[j + 1] = swapped[j + 1], swapped[j]
    assert first_missing(swapped, text_tokens) is not None
    # The corrected reading (corr instead of sic) does not match the diplomatic seed.
    text = etree.parse(str(TEI_FILE)).getroot().find(f"{{{TEI_NS}}}text")
    for sic in text.iter(f"{{{TEI_NS}}}sic"):
        sic.getparent().remove(sic)
    corrected = tokenize("".join(text.itertext()))
    assert first_missing(expected, corrected) == expected.index("wait")


@needs_seed
def test_text_is_the_seed_plus_only_the_supplied_dateline_and_label(seed_text, root):
    """Stronger than the subsequence: nothing but the dateline and the SUBJECT label,
    both supplied from the printed edition, is added to the seed's words."""
    text = etree.fromstring(etree.tostring(root.find(f"{{{TEI_NS}}}text")))
    for el in text.xpath(
        "//tei:div[@type='document']/tei:dateline"
        " | //tei:div[@type='document']/tei:list[@type='subject']/tei:head",
        namespaces=NS,
    ):
        tail = el.tail
        parent = el.getparent()
        prev = el.getprevious()
        parent.remove(el)
        if tail:
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
    assert tokenize(diplomatic_text(text)) == seed_tokens(seed_text)


@needs_seed
def test_source_note_matches_seed(seed_text, doc_div):
    note = doc_div.find("tei:head/tei:note", NS)
    assert " ".join(diplomatic_text(note).split()) == seed_parts(seed_text)["note"]


# --------------------------------------------------------------------------- (c) page break


def test_page_break_between_urgent_and_peiping(root, ids):
    pbs = root.xpath("//tei:text//tei:pb", namespaces=NS)
    assert len(pbs) == 1
    pb = pbs[0]
    assert pb.get("n") == "594"
    assert pb.get(XML_ID) == "pg_594"
    assert pb.get("facs") == "#facs_0626"
    before = pb.xpath("preceding::text()[1]")[0]
    after = pb.xpath("following::text()[1]")[0]
    assert before.endswith(" urgent ")
    assert after.startswith("Peiping")
    surface = ids["facs_0626"]
    assert local(surface) == "surface" and local(surface.getparent()) == "facsimile"
    assert surface.get("n") == "0626"


# --------------------------------------------------------------------------- (d) structure


def test_document_div_structure(doc_div):
    assert doc_div.get(XML_ID) == "d300" and doc_div.get("n") == "300"
    children = [local(c) for c in doc_div if local(c)]
    assert children == ["head", "dateline", "list", "p", "p", "p", "p"]
    paras = doc_div.findall("tei:p", NS)
    assert len(paras) == 4
    starts = [tokenize(diplomatic_text(p))[0] for p in paras]
    assert starts == ["Recent", "It", "Despite", "While"]


def test_head_dateline_and_subject(doc_div, ids):
    head = doc_div.find("tei:head", NS)
    assert " ".join(diplomatic_text(head).split()).startswith(
        "300. Memorandum From the Director of the Bureau of Intelligence and Research "
        "(Cumming) to Secretary of State Herter Source:"
    )
    pers = head.findall("tei:persName", NS)
    assert [(p.get("ref"), p.get("type"), p.text) for p in pers] == [
        ("#p_CHSJ1", "from", "Cumming"),
        ("#p_HCA1", "to", "Herter"),
    ]
    note = head.find("tei:note", NS)
    assert note.get("type") == "source" and note.get("n") == "0"
    assert note.get(XML_ID) == "d300fn0" and note.get("place") == "foot"
    assert note.getprevious() is pers[1] and not (pers[1].tail or "").strip()
    # archival reference and classification as data
    assert note.find(".//tei:orgName[@ref='#org_DOS']", NS).text == "Department of State"
    assert note.find(".//tei:idno", NS).text == "Lot 58 D 776"
    seg = note.find("tei:seg[@type='classification']", NS)
    cats = [ids[t[1:]] for t in seg.get("ana").split()]
    assert [c.get(XML_ID) for c in cats] == ["cls_secret", "cls_noforn"]
    assert all(c.getparent().get(XML_ID) == "classification" for c in cats)
    noforn = seg.find("tei:term", NS)
    assert noforn.get("ref") == "#t_Noforn1" and "".join(noforn.itertext()) == "Noforn"

    dateline = doc_div.find("tei:dateline", NS)
    assert " ".join(diplomatic_text(dateline).split()) == "Washington, September 24, 1959."
    assert dateline.find("tei:date", NS).get("when") == "1959-09-24"
    assert dateline.find("tei:placeName", NS).get("ref") == "#pl_Washington"

    subject = doc_div.find("tei:list[@type='subject']", NS)
    assert subject.find("tei:head", NS).text == "SUBJECT"
    title = subject.find("tei:item/tei:title", NS)
    assert title.text == "Recent Reports on Sino-Soviet Disagreements"
    assert title.get("rend") == "italic"


# --------------------------------------------------------------------------- (e) correction


def test_typo_choice(root, ids):
    choices = root.xpath("//tei:text//tei:choice", namespaces=NS)
    assert len(choices) == 1
    choice = choices[0]
    assert [local(c) for c in choice] == ["sic", "corr"]
    sic, corr = choice
    assert sic.text == "wait" and corr.text == "that"
    assert corr.get("type") == "typo"
    assert corr.get("resp", "").startswith("#") and corr.get("resp")[1:] in ids
    assert local(ids[corr.get("resp")[1:]]) in {"respStmt", "name", "person", "org"}
    assert root.xpath(
        "/tei:TEI/tei:teiHeader/tei:encodingDesc/tei:editorialDecl/tei:correction/tei:p",
        namespaces=NS,
    )


# --------------------------------------------------------------------------- (f) pointers


def test_ids_unique_and_pointers_resolve(root):
    counts = Counter(el.get(XML_ID) for el in root.iter() if el.get(XML_ID) is not None)
    dupes = sorted(i for i, n in counts.items() if n > 1)
    assert not dupes, f"duplicate xml:ids: {dupes}"
    dangling = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in POINTER_ATTRS:
            for tok in (el.get(attr) or "").split():
                if tok.startswith("#") and tok[1:] not in counts:
                    dangling.append((local(el), attr, tok))
    assert not dangling, f"unresolved pointers: {dangling}"


ENTITY_KINDS = {"persName": "person", "placeName": "place", "orgName": "org", "term": "term"}


def test_named_entities_point_to_authority_entries(root, ids):
    """Every name and abbreviation in the text points to one entry of the right kind in
    the standOff, and every occurrence of the names listed below is tagged."""
    text = root.find(f"{{{TEI_NS}}}text")
    standoff = root.find(f"{{{TEI_NS}}}standOff")
    for name, kind in ENTITY_KINDS.items():
        for el in text.iter(f"{{{TEI_NS}}}{name}"):
            ref = el.get("ref")
            assert ref and ref.startswith("#") and len(ref.split()) == 1, etree.tostring(el)
            target = ids[ref[1:]]
            assert local(target) == kind, (name, ref)
            assert standoff in target.iterancestors(), (name, ref)

    body_text = diplomatic_text(root.find("tei:text/tei:body", NS))

    def tagged(tag: str, ref: str) -> list[str]:
        return [
            " ".join(diplomatic_text(el).split())
            for el in text.iter(f"{{{TEI_NS}}}{tag}")
            if el.get("ref") == ref
        ]

    expectations = [
        ("persName", "#p_CHSJ1", r"\bCumming\b"),
        ("persName", "#p_HCA1", r"\bHerter\b"),
        ("persName", "#p_KNS1", r"\bKhrushchev\b"),
        ("persName", "#p_EDD1", r"\bEisenhower\b"),
        ("placeName", "#pl_Washington", r"\bWashington\b"),
        ("placeName", "#pl_Peiping", r"\bPeiping\b"),
        ("placeName", "#pl_Moscow", r"\bMoscow\b"),
        ("placeName", "#pl_TaiwanStrait", r"\bTaiwan Straits\b"),
        ("placeName", "#pl_SoutheastAsia", r"\bSoutheast Asia\b"),
        ("placeName", "#pl_India", r"\bIndia\b"),
        ("placeName", "#pl_Laos", r"\bLaos\b"),
        ("placeName", "#pl_China", r"\bChina\b"),
        ("placeName", "#pl_USSR", r"\bSoviet Union\b|\bUSSR\b"),
        ("placeName", "#pl_US", r"\bUS\b"),
        ("orgName", "#org_INR", r"\bBureau of Intelligence and Research\b"),
        ("orgName", "#org_DOS", r"\bDepartment of State\b"),
        ("orgName", "#org_CCP", r"\bChinese Communists?\b"),
        ("term", "#t_Noforn1", r"\bNoforn\b"),
        ("term", "#t_US1", r"\bUS\b"),
        ("term", "#t_USSR1", r"\bUSSR\b"),
    ]
    for tag, ref, pattern in expectations:
        occurrences = re.findall(pattern, body_text)
        names = tagged(tag, ref)
        assert occurrences, (tag, ref)
        assert len(names) == len(occurrences), (tag, ref, names, occurrences)
        assert all(re.fullmatch(pattern, n) for n in names), (tag, ref, names)
    assert len(tagged("persName", "#p_KNS1")) == 2


def test_authority_entries_and_header(root, ids):
    for pid, birth, death in [
        ("p_CHSJ1", "1900", "1986"),
        ("p_HCA1", "1895", "1966"),
        ("p_KNS1", "1894", "1971"),
        ("p_EDD1", "1890", "1969"),
    ]:
        person = ids[pid]
        assert person.find("tei:persName/tei:surname", NS) is not None
        assert person.find("tei:birth", NS).get("when").startswith(birth)
        assert person.find("tei:death", NS).get("when").startswith(death)
        assert person.find("tei:occupation", NS) is not None
    herter_sos = ids["p_HCA1"].xpath("tei:occupation[. = 'Secretary of State']", namespaces=NS)
    assert herter_sos and herter_sos[0].get("from") == "1959-04-22"
    for tid, expan in [("t_Noforn1", "No foreign distribution"), ("t_USSR1", "Union of Soviet Socialist Republics")]:
        label = ids[tid].getparent()
        assert local(label) == "label"
        assert label.getnext().find("tei:expan", NS).text == expan

    header = root.find("tei:teiHeader", NS)
    assert header.findtext("tei:fileDesc/tei:titleStmt/tei:title[@type='main']", namespaces=NS) == (
        "Memorandum From the Director of the Bureau of Intelligence and Research (Cumming) "
        "to Secretary of State Herter"
    )
    assert header.find("tei:fileDesc/tei:titleStmt/tei:author", NS).get("ref") == "#p_CHSJ1"
    assert header.findtext("tei:fileDesc/tei:publicationStmt/tei:idno[@type='frus']", namespaces=NS) == (
        "frus1958-60v19-d300"
    )
    bs = header.find("tei:fileDesc/tei:sourceDesc/tei:biblStruct", NS)
    assert bs.findtext("tei:monogr/tei:idno[@type='ISBN-10']", namespaces=NS) == "0160417570"
    assert bs.find("tei:monogr/tei:imprint/tei:biblScope[@unit='page']", NS).get("from") == "593"
    cs = header.find("tei:encodingDesc/tei:refsDecl/tei:citeStructure", NS)
    assert cs.get("match").startswith("/") and cs.get("use") == "@xml:id"
    inner = cs.find("tei:citeStructure", NS)
    assert (inner.get("match"), inner.get("use"), inner.get("delim")) == ("p", "position()", ".p")
    change = header.find("tei:revisionDesc/tei:change", NS)
    assert change.get("when") == "2026-11-27" and change.get("who") == "#ed"


# --------------------------------------------------------------------------- (g) schema


@needs_shared
def test_valid_against_tei_all(relaxng, tree):
    ok = relaxng.validate(tree)
    errors = "\n".join(str(e) for e in list(relaxng.error_log)[:20])
    assert ok, f"not valid against tei_all.rng:\n{errors}"
