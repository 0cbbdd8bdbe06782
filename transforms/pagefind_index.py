"""Pagefind's search index, the same bytes from the same pages.

Left to itself, Pagefind (1.5) gives two indexes of the same pages different bytes, for two reasons:

- it numbers the pages in the order it meets them, and walking a folder meets them in the file
  system's order (creation order in a small ext4 folder, whatever order the workers wrote them
  in; hash order in a large one, with a hash seed of each file system; another order on tmpfs);
- it writes each filter's values, and the metadata's list of filters, in the order of a hash
  map seeded at random on each run (the filter files' names, hashes of their content, change too).

So :func:`index_files` gives the pages to Pagefind's service one by one, in the natural order of
their paths (``d2`` before ``d10``), and :func:`canonical` then rewrites each filter file with
its values sorted, names it by the hash of its new content as Pagefind names its files, and
rewrites the metadata file (filters and sorts by name) and ``pagefind-entry.json`` that name
them.  Searching is unchanged: the browser side reads filters into maps.

The package's Python API (``pagefind.index``) waits a tenth of a second between two answers of
the service, one answer per page, 40 s for a volume; the service's own protocol (base64 of a
JSON message, ended by a comma, on its standard input and output, the one that API speaks) is
spoken here directly, to the binary that API finds (``pagefind.service.get_executable``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

#: What Pagefind writes before the CBOR of each of its compressed files.
SIGNATURE = b"pagefind_dcd"
#: The service's configuration (the package's ``IndexConfig`` without the output path).
CONFIG = {"force_language": "en", "keep_index_url": True}
#: A service that has not finished indexing by then is stopped (a volume takes a few seconds).
TIME_LIMIT = 600.0


class PagefindError(Exception):
    """The service failed, stopped or answered with an error."""


def natural_key(path: str) -> list[Any]:
    """``d2`` before ``d10``: digits compare as numbers (strings and numbers alternate, so never meet)."""
    return [int(part) if index % 2 else part for index, part in enumerate(re.split(r"(\d+)", path))]


def index_files(executable: Path, pages: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """Index ``pages`` (URL, HTML; in the order given) with the Pagefind binary: its files
    (path in the index folder → bytes), as Pagefind would write them."""
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([str(executable), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=errors)
        try:
            return _converse(process, pages)
        except (OSError, ValueError, PagefindError) as error:
            process.kill()
            process.wait()
            errors.seek(0)
            said = errors.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PagefindError(f"{error}{': ' if said else ''}{' / '.join(said)}") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _converse(process: subprocess.Popen[bytes], pages: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    assert process.stdin is not None and process.stdout is not None
    answers = _answers(process.stdout.fileno(), time.monotonic() + TIME_LIMIT)

    def send(number: int, payload: dict[str, Any]) -> None:
        message = json.dumps({"message_id": number, "payload": payload}, ensure_ascii=False)
        process.stdin.write(base64.b64encode(message.encode("utf-8")) + b",")  # type: ignore[union-attr]

    send(1, {"type": "NewIndex", "config": CONFIG})
    process.stdin.flush()
    index = _answer(answers, "NewIndex")["index_id"]
    # the service reads its input on a thread of its own and answers through an unbounded
    # queue: every page can be written before any answer is read
    for number, (url, content) in enumerate(pages, start=2):
        send(number, {"type": "AddFile", "index_id": index, "file_path": None, "url": url,
                      "file_contents": content})
    # the files come back in the answer: the service's WriteFiles answers before its
    # asynchronous writes reach the disk (an index read at once may be empty)
    send(len(pages) + 2, {"type": "GetFiles", "index_id": index})
    process.stdin.flush()
    for _ in pages:
        _answer(answers, "IndexedFile")
    files = {str(file["path"]): base64.b64decode(file["content"]) for file in _answer(answers, "GetFiles")["files"]}
    process.stdin.close()  # the service exits at the end of its input
    process.wait(timeout=30)
    return files


def _answer(answers: Iterator[dict[str, Any]], expected: str) -> dict[str, Any]:
    payload: dict[str, Any] = next(answers).get("payload") or {}
    if payload.get("type") != expected:
        raise PagefindError(str(payload.get("message") or f"unexpected answer {payload.get('type')!r}"))
    return payload


def _answers(descriptor: int, deadline: float) -> Iterator[dict[str, Any]]:
    """The service's answers, each base64 of a JSON message followed by a comma."""
    pending: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            raise PagefindError(f"no answer within {TIME_LIMIT:.0f} s")
        chunk = os.read(descriptor, 1 << 20)
        if not chunk:
            raise PagefindError("the service stopped")
        *complete, rest = chunk.split(b",")
        for message in complete:
            yield json.loads(base64.b64decode(b"".join([*pending, message])))
            pending = []
        pending.append(rest)


# -- the index, made canonical ----------------------------------------------------------------

def canonical(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` with what Pagefind wrote in hash-map order sorted, renamed and named anew; the
    same files for a layout this code does not know (another Pagefind version): they work."""
    entry = json.loads(files["pagefind-entry.json"])
    plans: list[tuple[str, str, list[Any]]] = []
    for language in sorted(entry.get("languages", {})):
        meta_name = f"pagefind.{entry['languages'][language]['hash']}.pf_meta"
        meta = _read(files[meta_name])
        if not _known_meta(meta, files):
            return files
        plans.append((language, meta_name, meta))
    result = dict(files)
    for language, meta_name, meta in plans:
        filters = []
        for name, old in meta[3]:
            index = _read(result.pop(f"filter/{old}.pf_filter"))
            index[1].sort(key=lambda value: value[0])
            filters.append([name, _put(result, "filter/", old, ".pf_filter", index)])
        meta[3] = sorted(filters)
        meta[4] = sorted(meta[4], key=lambda sort: sort[0])
        del result[meta_name]
        entry["languages"][language]["hash"] = _put(result, "pagefind.", meta_name.split(".")[1], ".pf_meta", meta)
    entry["languages"] = dict(sorted(entry["languages"].items()))
    result["pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return result


def _known_meta(meta: Any, files: dict[str, bytes]) -> bool:
    """Pagefind 1.x's metadata: [version, pages, word chunks, [[filter, hash]…], [[sort, pages]…], meta keys]."""
    def pairs(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(item, list) and len(item) == 2
                                               and isinstance(item[0], str) for item in value)
    return (isinstance(meta, list) and len(meta) >= 5 and pairs(meta[3]) and pairs(meta[4])
            and all(f"filter/{hash_}.pf_filter" in files for _, hash_ in meta[3]))


def _read(data: bytes) -> Any:
    data = gzip.decompress(data)
    if not data.startswith(SIGNATURE):
        raise ValueError("not a Pagefind file")
    value, end = decode(data, len(SIGNATURE))
    if end != len(data):
        raise ValueError("bytes after the CBOR value of a Pagefind file")
    return value


def _put(files: dict[str, bytes], prefix: str, old: str, suffix: str, value: Any) -> str:
    """Add ``value`` as Pagefind writes it, named as Pagefind names it: the language, then as many
    digits of the content's SHA-1 as the old name had (each byte's hex without a leading zero)."""
    body = encode(value)
    language, _, digits = old.partition("_")
    full = "".join(f"{byte:x}" for byte in hashlib.sha1(body).digest())
    length = len(digits)
    while f"{prefix}{language}_{full[:length]}{suffix}" in files and length < len(full):
        length += 1  # a shorter name is taken (by a file made from other content)
    name = f"{language}_{full[:length]}"
    files[f"{prefix}{name}{suffix}"] = gzip.compress(SIGNATURE + body, compresslevel=9, mtime=0)
    return name


# -- CBOR, as much as Pagefind's index uses (RFC 8949; minicbor's shortest heads) -------------

def decode(data: bytes, at: int = 0) -> tuple[Any, int]:
    """The CBOR value at ``at`` (unsigned and negative integers, byte and text strings, arrays,
    maps) and the offset after it."""
    head = data[at]
    major, info = head >> 5, head & 31
    at += 1
    if info < 24:
        number = info
    elif info <= 27:
        size = 1 << (info - 24)
        number = int.from_bytes(data[at:at + size], "big")
        at += size
    else:
        raise ValueError(f"CBOR item {head:#x} (indefinite length or reserved) not expected")
    if major == 0:
        return number, at
    if major == 1:
        return -1 - number, at
    if major in (2, 3):
        raw = data[at:at + number]
        return (raw if major == 2 else raw.decode("utf-8")), at + number
    if major == 4:
        items = []
        for _ in range(number):
            item, at = decode(data, at)
            items.append(item)
        return items, at
    if major == 5:
        pairs = {}
        for _ in range(number):
            key, at = decode(data, at)
            pairs[key], at = decode(data, at)
        return pairs, at
    raise ValueError(f"CBOR major type {major} not expected")


def _head(major: int, number: int) -> bytes:
    if number < 24:
        return bytes([major << 5 | number])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if number < 1 << (8 * size):
            return bytes([major << 5 | info]) + number.to_bytes(size, "big")
    raise ValueError("CBOR integer over 64 bits")


def encode(value: Any) -> bytes:
    """``value`` in CBOR, with the shortest heads (the inverse of :func:`decode`)."""
    parts: list[bytes] = []
    _encode(value, parts)
    return b"".join(parts)


def _encode(value: Any, parts: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TypeError("CBOR booleans not expected")
    if isinstance(value, int):
        parts.append(_head(0, value) if value >= 0 else _head(1, -1 - value))
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        parts += (_head(3, len(raw)), raw)
    elif isinstance(value, bytes):
        parts += (_head(2, len(value)), value)
    elif isinstance(value, list):
        parts.append(_head(4, len(value)))
        for item in value:
            _encode(item, parts)
    elif isinstance(value, dict):
        parts.append(_head(5, len(value)))
        for key, item in value.items():
            _encode(key, parts)
            _encode(item, parts)
    else:
        raise TypeError(f"CBOR of {type(value).__name__} not expected")

