"""``edition serve``: the DTS 1.0 API (and a built edition) over HTTP, as an ASGI application.

:func:`create_app` puts the answers of :mod:`edition.dts` on four routes under ``/api/dts/``
(Entry, Collection, Navigation, Document) and, with ``edition=``, a built web edition (its
pages, assets and search) under ``/``.  What a server owes its clients beyond the answers:

- every answer carries an ``ETag`` and a ``Last-Modified``, and a revalidation that matches
  (``If-None-Match``, else ``If-Modified-Since``) gets ``304 Not Modified``;
- GET is open to every origin (CORS), and the validators and ``Link`` are exposed to scripts;
- errors are RFC 9457 problem details (``application/problem+json``) naming the parameter;
- files are parsed once and parsed again when they change on disk (:class:`edition.dts.Store`);
- a whole file is streamed from disk in chunks, never held as a response in memory.

Handlers compute in the event loop: answers take a millisecond or so, lxml's trees are not
meant to be walked by several threads at once, and the interpreter lock would serialise the
work anyway.  Run it with uvicorn (``edition serve``), or any ASGI server.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import dts
from .dts_store import DtsError, Store

API = "/api/dts"
JSON_LD = "application/ld+json"
PROBLEM = "application/problem+json"
#: Whole files from this size on are streamed in chunks of CHUNK bytes.
STREAM_FROM = 1 << 20
CHUNK = 1 << 16
_CONTENT_TYPES = {"text/html": "text/html; charset=utf-8", "text/plain": "text/plain; charset=utf-8"}


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _problem(error: DtsError, request: Request) -> Response:
    instance = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Response(_json(error.problem(instance)), status_code=error.status, media_type=PROBLEM)


def _http_date(seconds: float) -> str:
    return formatdate(seconds, usegmt=True)


def _not_modified(request: Request, etag: str, modified: float) -> bool:
    """Whether the client's copy is current (RFC 9110: If-None-Match wins over If-Modified-Since)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return int(modified) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, OverflowError):
        return False  # an unreadable date is ignored, as RFC 9110 says


def _validated(request: Request, etag: str, modified: float, make: Callable[[dict[str, str]], Response]) -> Response:
    headers = {"ETag": etag, "Last-Modified": _http_date(modified), "Cache-Control": "no-cache"}
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    return make(headers)


def _answer(request: Request, body: bytes, media_type: str, modified: float,
            extra: dict[str, str] | None = None) -> Response:
    etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'

    def make(headers: dict[str, str]) -> Response:
        return Response(body, media_type=media_type, headers={**headers, **(extra or {})})

    return _validated(request, etag, modified, make)


def _stream(request: Request, path: Path, media_type: str, extra: dict[str, str]) -> Response:
    """A whole file: its identity (inode, size, time) is its ETag; large ones go out in chunks."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        raise DtsError(404, "not-found", "Not found", f"the file of this resource is gone ({error.strerror}); "
                       "list the collection again", "resource") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise DtsError(404, "not-found", "Not found", "the file of this resource is gone", "resource")
    etag = f'"{info.st_ino:x}-{info.st_size:x}-{info.st_mtime_ns:x}"'

    def chunks() -> Iterator[bytes]:
        try:
            left = info.st_size
            while left > 0:
                chunk = os.read(fd, min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            os.close(fd)

    def make(headers: dict[str, str]) -> Response:
        headers = {**headers, **extra, "Content-Length": str(info.st_size)}
        if info.st_size >= STREAM_FROM:
            return StreamingResponse(chunks(), media_type=media_type, headers=headers)
        return Response(b"".join(chunks()), media_type=media_type, headers=headers)

    response = _validated(request, etag, info.st_mtime_ns / 1e9, make)
    if response.status_code == 304:
        os.close(fd)
    return response


class Api:
    """The four endpoints over one :class:`Store`."""

    def __init__(self, store: Store, web: str = "") -> None:
        self.store = store
        self.web = web
        self.started = time.time()

    def links(self, request: Request) -> dts.Links:
        return dts.Links(str(request.base_url).rstrip("/") + API, self.web)

    async def entry(self, request: Request) -> Response:
        return _answer(request, _json(dts.entry(self.links(request))), JSON_LD, self.started)

    async def collection(self, request: Request) -> Response:
        return self._run(request, self._collection)

    async def navigation(self, request: Request) -> Response:
        return self._run(request, self._navigation)

    async def document(self, request: Request) -> Response:
        return self._run(request, self._document)

    def _run(self, request: Request, handler: Callable[[Request], Response]) -> Response:
        try:
            self.store.refresh()
            return handler(request)
        except DtsError as error:
            return _problem(error, request)
        except Exception:  # a bug must cost one answer, not the server; the log says where
            traceback.print_exc(file=sys.stderr)
            failure = DtsError(500, "internal-error", "Internal error", "the server failed on this request; "
                               "its log has the details")
            return _problem(failure, request)

    def _collection(self, request: Request) -> Response:
        params = dts.parameters("collection", request.query_params.multi_items())
        body = _json(dts.collection(self.store, self.links(request), params))
        return _answer(request, body, JSON_LD, self.store.last_modified())

    def _navigation(self, request: Request) -> Response:
        params = dts.parameters("navigation", request.query_params.multi_items())
        answer = dts.navigation(self.store, self.links(request), params, str(request.url))
        _, loaded = self.store.resource(params.get("resource"))
        return _answer(request, _json(answer), JSON_LD, loaded.signature[2] / 1e9)

    def _document(self, request: Request) -> Response:
        params = dts.parameters("document", request.query_params.multi_items())
        answer = dts.document(self.store, self.links(request), params)
        media_type = _CONTENT_TYPES.get(answer.media_type, answer.media_type)
        link = {"Link": f'<{answer.collection}>; rel="collection"'}
        if answer.path is not None:
            return _stream(request, answer.path, media_type, link)
        assert answer.body is not None
        return _answer(request, answer.body, media_type, answer.signature[2] / 1e9, link)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        error = DtsError(405, "method-not-allowed", "Method not allowed",
                         f"{request.method} is not served: the API is read-only (GET and HEAD)")
    else:
        error = DtsError(404, "not-found", "Not found", f"nothing at {request.url.path}; the API's entry point "
                         f"is {API}/")
    return _problem(error, request)


def _web_root(edition: str | os.PathLike[str] | None) -> str:
    """Where the web edition's pages are under ``/``: ``/html/`` for a build's folder (its
    html/ beside text/, pdf/, cite/ and dts/), ``/`` for an html folder itself."""
    if edition is None:
        return ""
    folder = Path(edition)
    return "/html/" if not (folder / "index.html").is_file() and (folder / "html" / "index.html").is_file() else "/"


def create_app(paths: list[str | os.PathLike[str]], edition: str | os.PathLike[str] | None = None) -> Starlette:
    """The ASGI application serving ``paths`` (TEI files and folders), and ``edition`` under ``/``."""
    api = Api(Store(paths), _web_root(edition))
    routes: list[Route | Mount] = []
    for suffix, endpoint in (("", api.entry), ("/collection", api.collection), ("/navigation", api.navigation),
                             ("/document", api.document)):
        routes.append(Route(f"{API}{suffix}/", endpoint, methods=["GET"]))
        if suffix:
            routes.append(Route(f"{API}{suffix}", endpoint, methods=["GET"]))
    routes.append(Route(API, api.entry, methods=["GET"]))
    # "/" leads to the web edition's index when there is one (an edition's html/ folder beside
    # its text/, pdf/, cite/ and dts/ downloads, all served), else to the API's entry point
    home = (api.web if api.web != "/" else "") if edition is not None else f"{API}/"
    if home:
        routes.append(Route("/", lambda request: RedirectResponse(home), methods=["GET"]))
    if edition is not None:
        routes.append(Mount("/", app=StaticFiles(directory=edition, html=True)))
    middleware = [Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                             allow_headers=["If-None-Match", "If-Modified-Since"],
                             expose_headers=["ETag", "Last-Modified", "Link"])]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={404: _http_error, 405: _http_error})
    app.state.store = api.store
    return app


def run(paths: list[str | os.PathLike[str]], host: str = "127.0.0.1", port: int = 8000,
        edition: str | os.PathLike[str] | None = None) -> None:
    """Serve until interrupted (uvicorn)."""
    import uvicorn

    uvicorn.run(create_app(paths, edition), host=host, port=port, log_level="warning", access_log=False)
