"""``--scheduler``: build, validate and query as Dask tasks on a two-worker LocalCluster.

The real thing runs here: two worker processes on 127.0.0.1 (``distributed.LocalCluster``),
the FRUS volume in slices, and a worker killed with SIGKILL in the middle of a build.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import distributed
import pytest

from edition.build import build
from edition.cluster import connected
from edition.diagnostics import EditionError, EditionUsageError
from edition.incremental import MANIFEST

EDITION = [str(Path(sys.executable).with_name("edition"))]
FORMATS = ["html", "text", "cite"]


def _cluster(**config: object) -> Any:
    import dask

    with dask.config.set(config):
        return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=":0", silence_logs=40)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    local = _cluster()
    try:
        yield local
    finally:
        local.close()


#: The inputs' size, time and inode, recorded only for a file not modified within the last
#: seconds: the state of the file system when the client planned, not part of the edition.
STAT_FILE = ".edition-stat.json"


def tree(folder: Path) -> dict[str, bytes]:
    files = {name: p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and (name := str(p.relative_to(folder))) != STAT_FILE}
    if MANIFEST in files:
        # its "key" hashes the toolkit's files, read by the client, never by a worker: it changes
        # only when the code changes between two builds (as it may while the tree is being edited)
        manifest = json.loads(files[MANIFEST])
        manifest.pop("key", None)
        files[MANIFEST] = json.dumps(manifest, sort_keys=True).encode()
    return files


def _local_build(paths: list[Path], out: Path, formats: list[str]) -> dict[str, bytes]:
    report = build(paths, out=out, formats=formats, jobs=2, incremental=False)
    assert report.exit_code == 0, report.diagnostics
    return tree(out)


def test_build_of_a_volume_is_byte_identical_to_a_local_build(cluster, frus_volume: Path, tmp_path: Path) -> None:
    local = _local_build([frus_volume], tmp_path / "local", FORMATS)
    with connected(cluster.scheduler_address):
        report = build([frus_volume], out=tmp_path / "cluster", formats=FORMATS, incremental=False)
    assert report.exit_code == 0 and report.units == 410  # 404 documents, front and back matter
    remote = tree(tmp_path / "cluster")
    assert sorted(remote) == sorted(local) and len(local) > 1000
    assert [name for name in local if local[name] != remote[name]] == []


def test_print_build_is_byte_identical(cluster, memo_path: Path, frus_excerpt: Path, tmp_path: Path) -> None:
    # every output, the PDFs and the whole-edition PDF of the excerpt included
    formats = ["html", "text", "pdf", "cite"]
    local = _local_build([memo_path, frus_excerpt], tmp_path / "local", formats)
    with connected(cluster.scheduler_address):
        build([memo_path, frus_excerpt], out=tmp_path / "cluster", formats=formats, incremental=False)
    remote = tree(tmp_path / "cluster")
    assert any(name.endswith(".pdf") for name in remote)
    assert remote == local


def _run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EDITION, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_query_and_validate_give_the_local_results(cluster, frus_volume: Path, frus_excerpt: Path,
                                                   memo_path: Path) -> None:
    address = cluster.scheduler_address
    inputs = [str(frus_volume), str(frus_excerpt), str(memo_path)]
    for command in (["query", "//text//persName"], ["query", "@persons"], ["query", "--count", "//note"],
                    ["validate"]):
        local = _run(*command, "--jobs", "2", *inputs)
        remote = _run(*command, "--scheduler", address, *inputs)
        assert local.returncode == remote.returncode
        assert remote.stdout == local.stdout and local.stdout.strip()


def test_relative_inputs_are_read_in_the_clients_folder(cluster, frus_excerpt: Path, tmp_path: Path) -> None:
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / frus_excerpt.name).write_bytes(frus_excerpt.read_bytes())
    local = _run("query", "--jobs", "2", "//persName", "texts", cwd=tmp_path)
    remote = _run("query", "--scheduler", cluster.scheduler_address, "//persName", "texts", cwd=tmp_path)
    assert remote.returncode == 0 and remote.stdout == local.stdout and "texts/" in remote.stdout


def _kill_one_worker_when(client: Any, ready: threading.Event, killed: list[int]) -> None:
    ready.wait(120)
    pids = sorted(client.run(os.getpid).values())
    os.kill(pids[0], signal.SIGKILL)
    killed.append(pids[0])


def _when_rendering(temporary_parent: Path, out_name: str, ready: threading.Event, stop: threading.Event) -> None:
    """Set ``ready`` once the build's temporary folder holds some pages: the build is mid-way."""
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        for folder in temporary_parent.glob(f".{out_name}.tmp-*"):
            html = folder / "html"
            if html.is_dir() and sum(1 for _ in html.rglob("*.html")) >= 60:
                ready.set()
                return
        time.sleep(0.02)


def test_a_worker_killed_mid_build_is_replaced_and_the_build_completes(cluster, frus_volume: Path,
                                                                       tmp_path: Path) -> None:
    local = _local_build([frus_volume], tmp_path / "local", FORMATS)
    out = tmp_path / "cluster"
    ready, stop = threading.Event(), threading.Event()
    killed: list[int] = []
    with connected(cluster.scheduler_address) as client:
        watcher = threading.Thread(target=_when_rendering, args=(tmp_path, out.name, ready, stop))
        killer = threading.Thread(target=_kill_one_worker_when, args=(client, ready, killed))
        watcher.start()
        killer.start()
        try:
            report = build([frus_volume], out=out, formats=FORMATS, incremental=False)
        finally:
            stop.set()
            watcher.join()
            ready.set()
            killer.join()
    assert killed, "no worker was killed"
    assert report.exit_code == 0 and report.units == 410
    assert tree(out) == local


def test_a_unit_lost_too_often_fails_cleanly_and_keeps_the_previous_edition(frus_volume: Path, memo_path: Path,
                                                                           tmp_path: Path) -> None:
    out = tmp_path / "edition"
    build([memo_path], out=out, formats=FORMATS, jobs=1)
    before = tree(out)
    strict = _cluster(**{"distributed.scheduler.allowed-failures": 0})
    ready, stop = threading.Event(), threading.Event()
    killed: list[int] = []
    try:
        with connected(strict.scheduler_address) as client:
            watcher = threading.Thread(target=_when_rendering, args=(tmp_path, out.name, ready, stop))
            killer = threading.Thread(target=_kill_one_worker_when, args=(client, ready, killed))
            watcher.start()
            killer.start()
            try:
                with pytest.raises(EditionError) as raised:
                    build([frus_volume], out=out, formats=FORMATS, incremental=False)
            finally:
                stop.set()
                watcher.join()
                ready.set()
                killer.join()
    finally:
        strict.close()
    assert raised.value.diagnostic.code == "E0621"
    assert tree(out) == before
    assert not list(tmp_path.glob(f".{out.name}.tmp-*"))


def test_an_unreachable_scheduler_is_a_usage_error_and_nothing_changes(memo_path: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EditionUsageError) as raised, connected(f"tcp://127.0.0.1:{port}", timeout=1):
        pass
    assert raised.value.diagnostic.code == "E0620"
    out = tmp_path / "edition"
    build([memo_path], out=out, formats=FORMATS, jobs=1)
    before = tree(out)
    started = time.monotonic()
    result = _run("build", "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(out), "-f", "text", str(memo_path))
    assert result.returncode == 2 and "E0620" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 30
    assert tree(out) == before
