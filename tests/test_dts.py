"""The DTS 1.0 API (``edition serve``): every endpoint and parameter, on the memo, the FRUS
excerpt and the whole volume, through Starlette's test client; then the real server in a
subprocess, walked from its Entry endpoint by URI templates alone, and put under load."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uritemplate
from click.testing import CliRunner
from conftest import MEMO, REPO
from lxml import etree

from edition.cite import passage_text
from edition.cli import cli
from edition.document import load
from edition.serve import create_app

with warnings.catch_warnings():  # Starlette 1.x would rather have httpx2; httpx works the same here
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

TEI = "{http://www.tei-c.org/ns/1.0}"
WRAPPER = "{https://w3id.org/api/dts#}wrapper"
MEMO_ID = "frus1958-60v19-d300"
FOURTH = ("While available evidence does suggest that the Sino-Soviet relationship at the present "
          "time may be subjected to unusual strains")


@pytest.fixture(scope="module")
def memo() -> TestClient:
    return TestClient(create_app([REPO / "tei"]))


def nav(client: TestClient, **params: str) -> Any:
    response = client.get("/api/dts/navigation", params={"resource": MEMO_ID, **params})
    return response


def ids(members: list[dict[str, Any]]) -> list[str]:
    return [member["identifier"] for member in members]


def problem(response: httpx.Response, status: int, parameter: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if parameter is not None:
        assert body["parameter"] == parameter
        assert f"'{parameter}'" in body["detail"]
    return body


# The required properties of each object type, from the tables of DTS 1.0.
REQUIRED = {
    "EntryPoint": {"@id", "dtsVersion", "collection", "navigation", "document"},
    "Collection": {"@id", "title", "totalParents", "totalChildren", "collection"},
    "Resource": {"@id", "title", "totalParents", "collection", "navigation", "document", "citationTrees"},
    "Navigation": {"@id", "dtsVersion", "resource"},
    "CitableUnit": {"identifier", "level", "parent"},
    "Pagination": {"@id", "first", "previous", "next", "last"},
    "CitationTree": set(),
    "CiteStructure": {"citeType"},
}


def conforms(body: Any, top: bool = True) -> None:
    """``body`` has the shape DTS 1.0 gives its type, and so has every object inside it."""
    if isinstance(body, list):
        for item in body:
            conforms(item, False)
        return
    if not isinstance(body, dict):
        return
    kind = body.get("@type")
    if kind is not None:
        assert kind in REQUIRED, kind
        assert REQUIRED[kind] <= set(body), (kind, REQUIRED[kind] - set(body))
        if top:
            assert body["@context"] == "https://dtsapi.org/context/v1.0.json" and body["dtsVersion"] == "1.0"
        if kind == "CitableUnit":
            assert isinstance(body["level"], int) and body["level"] >= 1
            assert body["parent"] is None or isinstance(body["parent"], str)
        if kind in ("Collection", "Resource"):
            assert isinstance(body["totalParents"], int)
        for value in body.get("dublinCore", {}).values():  # MetadataObject: arrays of URIs or {lang, value}
            assert isinstance(value, list) and all(
                isinstance(v, str) or (isinstance(v, dict) and set(v) == {"lang", "value"}) for v in value)
    for key, value in body.items():
        if key != "dublinCore":
            conforms(value, False)


# -- Entry and Collection -------------------------------------------------------------

def test_entry_gives_the_three_uri_templates_of_dts_1_0(memo: TestClient) -> None:
    response = memo.get("/api/dts/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    body = response.json()
    assert body["@context"] == "https://dtsapi.org/context/v1.0.json"
    assert body["@type"] == "EntryPoint" and body["dtsVersion"] == "1.0"
    assert body["collection"].endswith("/api/dts/collection{?id,page,nav}")
    assert body["navigation"].endswith("/api/dts/navigation{?resource,ref,start,end,down,tree,page}")
    assert body["document"].endswith("/api/dts/document{?resource,ref,start,end,tree,mediaType}")
    assert memo.get("/api/dts").json() == body
    assert memo.get("/", follow_redirects=False).headers["location"] == "/api/dts/"


def test_root_collection_lists_the_memo_as_a_resource_with_its_citation_tree(memo: TestClient) -> None:
    body = memo.get("/api/dts/collection").json()
    assert body["@type"] == "Collection" and body["totalParents"] == 0 and body["totalChildren"] == 1
    assert body["dtsVersion"] == "1.0" and "view" not in body
    (resource,) = body["member"]
    assert resource["@id"] == MEMO_ID and resource["@type"] == "Resource"
    assert resource["title"].startswith("Memorandum From the Director of the Bureau of Intelligence")
    assert resource["totalParents"] == 1 and resource["totalChildren"] == 0
    assert resource["navigation"].endswith(f"navigation?resource={MEMO_ID}{{&ref,down,start,end,tree,page}}")
    assert resource["document"].endswith(f"document?resource={MEMO_ID}{{&ref,start,end,tree,mediaType}}")
    assert resource["mediaTypes"] == ["application/tei+xml", "text/html", "text/plain"]
    assert resource["citationTrees"] == [{"@type": "CitationTree", "citeStructure": [
        {"@type": "CiteStructure", "citeType": "document",
         "citeStructure": [{"@type": "CiteStructure", "citeType": "paragraph"}]}]}]
    assert resource["dublinCore"]["identifier"] == [MEMO_ID]


def test_collection_of_a_resource_and_its_parents(memo: TestClient) -> None:
    alone = memo.get("/api/dts/collection", params={"id": MEMO_ID}).json()
    assert alone["@type"] == "Resource" and "member" not in alone
    parents = memo.get("/api/dts/collection", params={"id": MEMO_ID, "nav": "parents"}).json()
    assert [m["@id"] for m in parents["member"]] == ["edition"]
    assert memo.get("/api/dts/collection", params={"nav": "parents"}).json()["member"] == []
    problem(memo.get("/api/dts/collection", params={"nav": "siblings"}), 400, "nav")
    problem(memo.get("/api/dts/collection", params={"page": "x"}), 400, "page")
    problem(memo.get("/api/dts/collection", params={"page": "2"}), 404, "page")
    body = problem(memo.get("/api/dts/collection", params={"id": "frus1958-60v19-d30"}), 404, "id")
    assert body["nearest"] == [MEMO_ID]


# -- Navigation -------------------------------------------------------------------------

def test_navigation_down_1_gives_the_top_level_and_ref_down_1_the_paragraphs(memo: TestClient) -> None:
    top = nav(memo, down="1").json()
    assert top["@type"] == "Navigation" and "ref" not in top
    assert top["@id"].endswith(f"/api/dts/navigation?resource={MEMO_ID}&down=1")
    assert top["resource"]["@id"] == MEMO_ID and top["resource"]["citationTrees"]
    (unit,) = top["member"]
    assert unit["identifier"] == "d300" and unit["level"] == 1 and unit["parent"] is None
    assert unit["@type"] == "CitableUnit" and unit["citeType"] == "document"
    assert unit["dublinCore"]["title"][0]["value"].startswith("300. Memorandum From the Director")
    below = nav(memo, ref="d300", down="1").json()
    assert below["ref"]["identifier"] == "d300"
    assert ids(below["member"]) == ["d300", "d300.p1", "d300.p2", "d300.p3", "d300.p4"]
    assert [(m["level"], m["parent"], m["citeType"]) for m in below["member"][1:]] == [(2, "d300", "paragraph")] * 4
    assert ids(nav(memo, down="-1").json()["member"]) == ids(below["member"])
    assert ids(nav(memo, down="5").json()["member"]) == ids(below["member"])


def test_navigation_ref_alone_siblings_and_ranges(memo: TestClient) -> None:
    alone = nav(memo, ref="d300.p2").json()
    assert alone["ref"]["identifier"] == "d300.p2" and alone["ref"]["parent"] == "d300" and "member" not in alone
    siblings = nav(memo, ref="d300.p2", down="0").json()
    assert ids(siblings["member"]) == ["d300.p1", "d300.p2", "d300.p3", "d300.p4"]
    assert ids(nav(memo, ref="d300", down="0").json()["member"]) == ["d300"]
    ranged = nav(memo, start="d300.p2", end="d300.p3").json()
    assert ranged["start"]["identifier"] == "d300.p2" and ranged["end"]["identifier"] == "d300.p3"
    assert "member" not in ranged
    assert ids(nav(memo, start="d300.p2", end="d300.p3", down="-1").json()["member"]) == ["d300.p2", "d300.p3"]
    assert ids(nav(memo, start="d300.p2", end="d300.p2", down="1").json()["member"]) == ["d300.p2"]


@pytest.mark.parametrize(("params", "parameter"), [
    ({}, "down"),
    ({"down": "0"}, "down"),
    ({"start": "d300.p1", "end": "d300.p2", "down": "0"}, "down"),
    ({"ref": "d300.p1", "start": "d300.p1", "end": "d300.p2"}, "start"),
    ({"start": "d300.p1"}, "end"),
    ({"end": "d300.p1"}, "start"),
    ({"start": "d300.p3", "end": "d300.p1"}, "end"),
    ({"down": "two"}, "down"),
    ({"down": "-2"}, "down"),
    ({"down": "1", "page": "0"}, "page"),
    ({"down": "1", "color": "red"}, "color"),
])
def test_navigation_refuses_what_dts_1_0_calls_a_bad_request(memo: TestClient, params: dict[str, str],
                                                            parameter: str) -> None:
    problem(nav(memo, **params), 400, parameter)


def test_navigation_needs_resource_and_says_id_is_the_collections_name(memo: TestClient) -> None:
    problem(memo.get("/api/dts/navigation", params={"down": "1"}), 400, "resource")
    body = problem(memo.get("/api/dts/navigation", params={"id": MEMO_ID, "down": "1"}), 400, "id")
    assert "'resource'" in body["detail"]
    problem(memo.get("/api/dts/navigation", params=[("resource", MEMO_ID), ("resource", MEMO_ID)]), 400, "resource")
    problem(memo.get("/api/dts/navigation", params={"resource": "edition", "down": "1"}), 400, "resource")


def test_unknown_resource_ref_tree_and_page_are_404_with_the_nearest_references(memo: TestClient) -> None:
    assert problem(nav(memo, ref="d300.p5"), 404, "ref")["nearest"][0] == "d300.p4"
    assert "d300.p4" in problem(nav(memo, start="d300.p1", end="d300.p9"), 404, "end")["detail"]
    problem(nav(memo, ref="d300", tree="pages"), 404, "tree")
    problem(nav(memo, down="1", page="2"), 404, "page")
    body = problem(memo.get("/api/dts/navigation", params={"resource": "frus1958-60v19-d3", "down": "1"}),
                   404, "resource")
    assert body["nearest"] == [MEMO_ID]
    problem(memo.get("/api/dts/navigation", params={"resource": "x" * 2000, "down": "1"}), 400, "resource")
    problem(memo.get("/api/dts/nowhere"), 404, None)


@pytest.mark.parametrize("value", ["../../../etc/passwd", "/etc/passwd", "tei/../../etc/passwd",
                                   "..\\..\\secret", "file:///etc/passwd", "~/.ssh/id_rsa", "a\x00b"])
def test_a_path_in_an_identifier_is_refused(memo: TestClient, value: str) -> None:
    for endpoint, name in (("collection", "id"), ("navigation", "resource"), ("document", "resource")):
        problem(memo.get(f"/api/dts/{endpoint}", params={name: value, "down": "1"} if endpoint == "navigation"
                         else {name: value}), 400, name)


def test_no_file_outside_the_served_folder_is_listed_or_read(tmp_path: Path) -> None:
    served, outside = tmp_path / "served", tmp_path / "outside"
    served.mkdir()
    outside.mkdir()
    shutil.copy(MEMO, served / "memo.xml")
    secret = outside / "secret.xml"
    secret.write_bytes(MEMO.read_bytes().replace(b"Memorandum From the Director", b"SECRET OUTSIDE"))
    (served / "link.xml").symlink_to(secret)
    (served / "folder-link").symlink_to(outside, target_is_directory=True)
    client = TestClient(create_app([served]))
    listing = client.get("/api/dts/collection").text
    assert "SECRET" not in listing and "link" not in listing
    assert [m["@id"] for m in client.get("/api/dts/collection").json()["member"]] == ["memo"]
    for name in ("link", "folder-link/secret", "../outside/secret"):
        response = client.get("/api/dts/document", params={"resource": name})
        assert response.status_code in (400, 404) and "SECRET" not in response.text


# -- Document ---------------------------------------------------------------------------

def test_document_without_ref_is_the_whole_file_with_validators_and_a_collection_link(memo: TestClient) -> None:
    response = memo.get("/api/dts/document", params={"resource": MEMO_ID})
    assert response.status_code == 200 and response.content == MEMO.read_bytes()
    assert response.headers["content-type"] == "application/tei+xml"
    assert response.headers["link"].endswith(f'/api/dts/collection?id={MEMO_ID}>; rel="collection"')
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    again = memo.get("/api/dts/document", params={"resource": MEMO_ID}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    since = memo.get("/api/dts/document", params={"resource": MEMO_ID}, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    stale = memo.get("/api/dts/document", params={"resource": MEMO_ID}, headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200


def test_every_json_answer_revalidates_with_304(memo: TestClient) -> None:
    for url, params in (("/api/dts/", {}), ("/api/dts/collection", {}),
                        ("/api/dts/navigation", {"resource": MEMO_ID, "down": "1"}),
                        ("/api/dts/document", {"resource": MEMO_ID, "ref": "d300.p4"})):
        first = memo.get(url, params=params)
        assert first.status_code == 200 and first.headers["etag"].startswith('"')
        assert first.headers["last-modified"].endswith(" GMT")
        assert memo.get(url, params=params, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        later = memo.get(url, params=params, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert later.status_code == 304


def test_document_ref_is_the_paragraph_in_a_dts_wrapper_inside_tei(memo: TestClient) -> None:
    response = memo.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p4"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/tei+xml"
    root = etree.fromstring(response.content)
    assert root.tag == f"{TEI}TEI" and root.find(f"{TEI}teiHeader") is not None
    (wrapper,) = root.iter(WRAPPER)
    assert [etree.QName(a).localname for a in wrapper.iterancestors()] == ["div", "body", "text", "TEI"]
    assert wrapper.getparent().get("{http://www.w3.org/XML/1998/namespace}id") == "d300"
    (paragraph,) = wrapper
    assert paragraph.tag == f"{TEI}p" and "".join(paragraph.itertext()).startswith(
        "While available evidence does suggest waitthat the Sino-Soviet")  # sic and corr, as encoded
    assert wrapper.get("ref") == "/tei:TEI/tei:text/tei:body/tei:div/tei:p[4]"
    whole = memo.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300"}).content
    assert len(etree.fromstring(whole).find(f".//{WRAPPER}/{TEI}div").findall(f"{TEI}p")) == 4


def test_document_range_holds_exactly_the_units_from_start_to_end(memo: TestClient) -> None:
    response = memo.get("/api/dts/document", params={"resource": MEMO_ID, "start": "d300.p2", "end": "d300.p3"})
    (wrapper,) = etree.fromstring(response.content).iter(WRAPPER)
    original = load(MEMO)
    expected = [original.element_for_ref("d300.p2"), original.element_for_ref("d300.p3")]
    assert [etree.tostring(p, method="c14n", exclusive=True, with_tail=False) for p in wrapper] == [
        etree.tostring(p, method="c14n", exclusive=True, with_tail=False) for p in expected]
    assert wrapper.get("start").endswith("p[2]") and wrapper.get("end").endswith("p[3]")


def test_document_as_text_and_html(memo: TestClient) -> None:
    document = load(MEMO)
    text = memo.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p4", "mediaType": "text/plain"})
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text.strip() == passage_text(document, document.element_for_ref("d300.p4"))
    assert text.text.startswith(FOURTH)
    ranged = memo.get("/api/dts/document", params={"resource": MEMO_ID, "start": "d300.p3", "end": "d300.p4",
                                                   "mediaType": "text/plain"}).text
    assert ranged.index("Eisenhower") < ranged.index(FOURTH)
    page = memo.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p4", "mediaType": "text/html"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith("<!DOCTYPE html>") and "Sino-Soviet relationship" in page.text
    problem(memo.get("/api/dts/document", params={"resource": MEMO_ID, "mediaType": "application/pdf"}),
            404, "mediaType")
    problem(memo.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p1", "end": "d300.p2"}),
            400, "end")
    problem(memo.get("/api/dts/document", params={"resource": MEMO_ID, "down": "1"}), 400, "down")


def test_cors_allows_get_from_any_origin(memo: TestClient) -> None:
    response = memo.get("/api/dts/collection", headers={"Origin": "https://reader.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "ETag" in response.headers["access-control-expose-headers"]
    preflight = memo.options("/api/dts/navigation", headers={
        "Origin": "https://reader.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200 and "GET" in preflight.headers["access-control-allow-methods"]


# -- files that change, files that break --------------------------------------------------

def test_files_are_reloaded_when_they_change_and_a_broken_one_is_listed_with_its_error(tmp_path: Path) -> None:
    served = tmp_path / "tei"
    served.mkdir()
    memo = served / "memo.xml"
    shutil.copy(MEMO, memo)
    client = TestClient(create_app([served]))
    before = client.get("/api/dts/navigation", params={"resource": "memo", "ref": "d300", "down": "1"})
    assert len(before.json()["member"]) == 5
    source = memo.read_bytes()
    memo.write_bytes(source.replace(b"</div>\n    </body>", b"<p>A fifth paragraph.</p></div>\n    </body>", 1))
    os.utime(memo, ns=(time.time_ns(), time.time_ns() + 10**9))
    after = client.get("/api/dts/navigation", params={"resource": "memo", "ref": "d300", "down": "1"},
                       headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and ids(after.json()["member"])[-1] == "d300.p5"
    (served / "broken.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><teiHeader>")
    listing = client.get("/api/dts/collection").json()
    broken = next(m for m in listing["member"] if m["@id"] == "broken")
    assert "E0002" in broken["description"] and broken["citationTrees"] == [] and broken["mediaTypes"] == []
    body = problem(client.get("/api/dts/navigation", params={"resource": "broken", "down": "1"}), 500, "resource")
    assert "E0002" in body["detail"]
    assert client.get("/api/dts/document", params={"resource": "memo", "ref": "d300.p5"}).status_code == 200
    (served / "broken.xml").unlink()
    assert [m["@id"] for m in client.get("/api/dts/collection").json()["member"]] == ["memo"]


# -- the FRUS excerpt and the volume --------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(frus_excerpt: Path, frus_volume: Path) -> TestClient:
    return TestClient(create_app([frus_excerpt, frus_volume]))


def test_excerpt_and_volume_are_resources_of_the_root_collection(corpus: TestClient) -> None:
    body = corpus.get("/api/dts/collection").json()
    assert [(m["@id"], m["@type"]) for m in body["member"]] == [
        ("frus1958-60v19-d299-d302-context", "Resource"), ("frus1958-60v19", "Resource")]
    volume = body["member"][1]
    assert volume["title"] == "Foreign Relations of the United States, 1958–1960, China, Volume XIX"
    assert "No refsDecl/citeStructure" in volume["citationTrees"][0]["description"]
    top = corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19-d299-d302-context",
                                                    "down": "1"}).json()
    assert ids(top["member"]) == ["d299", "d300", "d301", "d302"]


def test_a_range_across_documents_keeps_both_partial_documents(corpus: TestClient) -> None:
    excerpt = "frus1958-60v19-d299-d302-context"
    units = corpus.get("/api/dts/navigation", params={"resource": excerpt, "ref": "d299", "down": "1"}).json()
    last_of_d299 = ids(units["member"])[-1]
    response = corpus.get("/api/dts/document", params={"resource": excerpt, "start": last_of_d299,
                                                       "end": "d300.p2"})
    (wrapper,) = etree.fromstring(response.content).iter(WRAPPER)
    divisions = [d.get("{http://www.w3.org/XML/1998/namespace}id") for d in wrapper if d.tag == f"{TEI}div"]
    assert divisions == ["d299", "d300"]
    d299, d300 = (d for d in wrapper if d.tag == f"{TEI}div")
    assert len(d299.findall(f"{TEI}p")) == 1 and len(d300.findall(f"{TEI}p")) == 2
    assert d300.find(f"{TEI}head") is not None  # what precedes d300.p1 in d300 lies inside the range
    members = corpus.get("/api/dts/navigation", params={"resource": excerpt, "start": last_of_d299,
                                                        "end": "d300.p2", "down": "-1"}).json()["member"]
    assert ids(members) == [last_of_d299, "d300", "d300.p1", "d300.p2"]  # pre-order, up to the end


def test_the_volume_is_navigated_by_pages_of_units(corpus: TestClient) -> None:
    first = corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19", "down": "1"}).json()
    view = first["view"]
    assert view["@type"] == "Pagination" and view["last"].endswith("&down=1&page=3")
    documents = ids(first["member"])
    url: str | None = view["next"]
    while url:
        page = corpus.get(url).json()
        documents += ids(page["member"])
        url = page["view"]["next"] if page["view"]["@id"] != page["view"]["last"] else None
    assert len(documents) == 404 and len(set(documents)) == 404 and documents[299] == "d300"
    everything = corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19", "down": "999999"}).json()
    assert len(everything["member"]) == 200 and everything["view"]["last"].endswith("page=21")
    problem(corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19", "down": "-1", "page": "22"}),
            404, "page")
    paragraphs = corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19", "ref": "d300",
                                                           "down": "1"}).json()
    assert ids(paragraphs["member"]) == ["d300", "d300.p1", "d300.p2", "d300.p3", "d300.p4"]


def test_the_volumes_d300_p4_is_the_memos_and_the_whole_volume_streams(corpus: TestClient,
                                                                       frus_volume: Path) -> None:
    ours = TestClient(create_app([REPO / "tei"])).get(
        "/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p4", "mediaType": "text/plain"}).text
    theirs = corpus.get("/api/dts/document", params={"resource": "frus1958-60v19", "ref": "d300.p4",
                                                     "mediaType": "text/plain"}).text
    # the volume prints the typo our memo corrects (<sic>wait</sic><corr>that</corr>)
    assert theirs.replace("suggest wait the", "suggest that the") == ours
    with corpus.stream("GET", "/api/dts/document", params={"resource": "frus1958-60v19"}) as response:
        chunks = list(response.iter_raw())
    assert b"".join(chunks) == frus_volume.read_bytes() and len(chunks) > 1
    assert response.headers["content-length"] == str(frus_volume.stat().st_size)


# -- the real server ------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``edition serve`` in a subprocess on a free port of 127.0.0.1 (the memo, and the volume when present)."""
    from conftest import SHARED

    port = _free_port()
    paths = [str(REPO / "tei")]
    volume = SHARED / "corpus" / "frus" / "frus1958-60v19.xml"
    if volume.is_file():
        paths.append(str(volume))
    process = subprocess.Popen([sys.executable, "-P", "-m", "edition", "serve", "--port", str(port), *paths],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"edition serve exited: {process.stderr.read().decode() if process.stderr else ''}")
            try:
                if httpx.get(f"{base}/api/dts/", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("edition serve did not answer within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_client_knowing_only_the_entry_url_walks_to_d300_p4(server: str) -> None:
    with httpx.Client(timeout=10) as client:
        entry = client.get(f"{server}/api/dts/").json()
        queue = [uritemplate.expand(entry["collection"], {})]
        resource = None
        while queue and resource is None:
            collection = client.get(queue.pop(0)).json()
            for member in collection["member"]:
                if member["@type"] == "Collection":
                    queue.append(uritemplate.expand(member["collection"], {}))
                elif member["@id"].rpartition("/")[2] == MEMO_ID:  # "tei/…" beside the volume
                    resource = member
        assert resource is not None
        top = client.get(uritemplate.expand(resource["navigation"], {"down": "1"})).json()
        document = next(u for u in top["member"] if u["citeType"] == "document")
        units = client.get(uritemplate.expand(resource["navigation"], {"ref": document["identifier"],
                                                                        "down": "1"})).json()
        fourth = [u for u in units["member"] if u["citeType"] == "paragraph"][3]
        assert fourth["identifier"] == "d300.p4"
        tei = client.get(uritemplate.expand(resource["document"], {"ref": fourth["identifier"]}))
    assert tei.status_code == 200 and tei.headers["content-type"] == "application/tei+xml"
    (wrapper,) = etree.fromstring(tei.content).iter(WRAPPER)
    assert "".join(wrapper[0].itertext()).endswith("the difficulties the two nations face in accommodating to "
                                                   "each other.")


def test_fifty_concurrent_clients_get_no_error_from_the_volume(server: str, frus_volume: Path) -> None:
    """A bounded load (50 clients, a few seconds, 127.0.0.1): every answer a 200.  Latency is
    bench/dts_bench.py's business, not an assertion."""
    statuses: list[int] = []
    httpx.get(f"{server}/api/dts/navigation", params={"resource": "frus1958-60v19", "down": "1"}, timeout=60)

    async def client(http: httpx.AsyncClient, number: int, stop: float) -> None:
        turn = number
        while True:  # every client makes at least one round, then goes on until the time is up
            document = f"d{turn % 404 + 1}"
            for endpoint, params in (("navigation", {"ref": document, "down": "1"}),
                                     ("document", {"ref": document})):
                try:
                    response = await http.get(f"/api/dts/{endpoint}", params={"resource": "frus1958-60v19", **params})
                    statuses.append(response.status_code)
                except httpx.HTTPError:
                    statuses.append(0)
            turn += 50
            if time.monotonic() >= stop:
                return

    async def run() -> None:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)  # a connection per client
        async with httpx.AsyncClient(base_url=server, timeout=30, limits=limits) as http:
            stop = time.monotonic() + 5
            await asyncio.gather(*(client(http, n, stop) for n in range(50)))

    asyncio.run(run())
    assert len(statuses) >= 100 and set(statuses) == {200}


def test_serve_refuses_a_missing_path() -> None:
    result = CliRunner().invoke(cli, ["serve", "no/such/folder"])
    assert result.exit_code == 2 and "E0901" in result.stderr


# -- the static export ---------------------------------------------------------------------

def test_build_f_dts_writes_answers_a_static_client_can_walk(tmp_path: Path) -> None:
    from edition.build import build

    report = build([REPO / "tei"], out=tmp_path / "edition", formats=["dts"])
    assert report.exit_code == 0
    root = tmp_path / "edition"

    def get(url: str) -> Any:
        import json

        return json.loads((root / url.lstrip("/")).read_text(encoding="utf-8"))

    entry = get("/dts/index.json")
    assert entry["@type"] == "EntryPoint" and entry["collection"] == "/dts/collection{/id}{.nav,page}.json"
    listing = get(uritemplate.expand(entry["collection"], {}))
    (resource,) = listing["member"]
    top = get(uritemplate.expand(resource["navigation"], {"down": "1"}))
    assert ids(top["member"]) == ["d300"]
    units = get(uritemplate.expand(resource["navigation"], {"ref": "d300", "down": "1"}))
    assert ids(units["member"])[-1] == "d300.p4"
    live = TestClient(create_app([REPO / "tei"])).get(
        "/api/dts/navigation", params={"resource": MEMO_ID, "ref": "d300", "down": "1"}).json()
    assert units["member"] == live["member"]
    whole = root / uritemplate.expand(resource["document"], {}).lstrip("/")
    assert whole.read_bytes() == MEMO.read_bytes()


def test_tree_is_ignored_by_document_without_ref_and_post_is_refused(memo: TestClient) -> None:
    whole = memo.get("/api/dts/document", params={"resource": MEMO_ID, "tree": "pages"})
    assert whole.status_code == 200 and whole.content == MEMO.read_bytes()
    problem(memo.get("/api/dts/document", params={"resource": MEMO_ID, "tree": "pages", "ref": "d300"}), 404, "tree")
    problem(memo.get("/api/dts/document"), 400, "resource")
    head = memo.head("/api/dts/document", params={"resource": MEMO_ID})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]
    refused = memo.post("/api/dts/collection")
    assert refused.status_code == 405 and refused.headers["content-type"] == "application/problem+json"


def test_edition_is_served_under_the_root_beside_the_api(tmp_path: Path) -> None:
    from edition.build import build

    out = tmp_path / "edition"
    assert build([REPO / "tei"], out=out, formats=["html", "text"]).exit_code == 0
    client = TestClient(create_app([REPO / "tei"], edition=out))
    home = client.get("/")
    assert home.status_code == 200 and str(home.url).endswith("/html/")
    assert home.text == (out / "html" / "index.html").read_text(encoding="utf-8")
    assert client.get("/text/d300.txt").content == (out / "text" / "d300.txt").read_bytes()
    assert client.get("/api/dts/collection").json()["member"][0]["@id"] == MEMO_ID
    page = client.get("/api/dts/document", params={"resource": MEMO_ID, "ref": "d300.p4", "mediaType": "text/html"})
    assert 'href="/html/assets/edition.css"' in page.text  # the API's HTML answers use the edition's assets
    assert client.get("/html/assets/edition.css").status_code == 200


def test_a_resource_without_citable_units_navigates_to_an_empty_member(tmp_path: Path) -> None:
    (tmp_path / "bare.xml").write_text(
        "<TEI xmlns='http://www.tei-c.org/ns/1.0'><teiHeader><fileDesc><titleStmt><title>Bare</title></titleStmt>"
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>"
        "<text><body><ab>Only an anonymous block.</ab></body></text></TEI>", encoding="utf-8")
    client = TestClient(create_app([tmp_path]))
    (resource,) = client.get("/api/dts/collection").json()["member"]
    assert resource["title"] == "Bare" and resource["citationTrees"] == []
    body = client.get("/api/dts/navigation", params={"resource": "bare", "down": "-1"}).json()
    assert body["member"] == [] and "view" not in body
    assert client.get("/api/dts/document", params={"resource": "bare", "mediaType": "text/plain"}).text.strip() == (
        "Only an anonymous block.")


def test_every_answer_has_the_shapes_of_the_dts_1_0_tables(memo: TestClient) -> None:
    queries = [("/api/dts/", {}), ("/api/dts/collection", {}), ("/api/dts/collection", {"id": MEMO_ID}),
               ("/api/dts/collection", {"id": MEMO_ID, "nav": "parents"})]
    queries += [("/api/dts/navigation", {"resource": MEMO_ID, **params}) for params in (
        {"down": "1"}, {"down": "-1"}, {"ref": "d300"}, {"ref": "d300.p1", "down": "0"}, {"ref": "d300", "down": "1"},
        {"start": "d300.p1", "end": "d300.p4"}, {"start": "d300.p1", "end": "d300.p4", "down": "1"})]
    for url, params in queries:
        response = memo.get(url, params=params)
        assert response.status_code == 200, (url, params, response.text)
        conforms(response.json())


def test_the_volumes_answers_have_the_dts_1_0_shapes(corpus: TestClient) -> None:
    for params in ({"down": "1"}, {"down": "-1", "page": "21"}, {"ref": "d300", "down": "-1"}):
        conforms(corpus.get("/api/dts/navigation", params={"resource": "frus1958-60v19", **params}).json())
    conforms(corpus.get("/api/dts/collection").json())
