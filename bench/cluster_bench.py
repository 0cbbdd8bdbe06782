"""Benchmark: a synthetic FRUS series built locally and on a two-worker Dask LocalCluster.

    .venv/bin/python bench/cluster_bench.py            # 10 volumes (33 MB), 1 run each
    .venv/bin/python bench/cluster_bench.py --volumes 4 --runs 3

The series is the real volume (../shared/corpus/frus/frus1958-60v19.xml) written
``--volumes`` times into a temporary folder, each copy with fresh ids (the volume's
id ``frus1958-60v19`` becomes ``frus1958-60v19s01`` … everywhere it occurs, so every
copy is a volume of its own with its own pages).  The web and text edition and the
citations (``-f html -f text -f cite``) are built as whole processes, as a user runs
them: ``edition build`` on both local cores, then ``edition build --scheduler ADDRESS``
on a ``distributed.LocalCluster`` of two worker processes (one thread each) on
127.0.0.1, started by this script.  The table gives the median seconds, throughput
(MB of TEI a second), the cluster's overhead against the local build, and whether
the two editions are the same byte for byte (Pagefind's search index aside: it
differs between two local builds too; the manifest's toolkit hash and the inputs' stat
record aside: they are the client's, and record the code and the file system).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import EDITION, REPO, SHARED, run_once  # noqa: E402

VOLUME = SHARED / "corpus" / "frus" / "frus1958-60v19.xml"
FORMATS = ["-f", "html", "-f", "text", "-f", "cite"]


def make_series(folder: Path, volumes: int) -> int:
    """Write the series; returns its size in bytes."""
    data = VOLUME.read_bytes()
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, volumes + 1):
        fresh = f"frus1958-60v19s{number:02d}".encode()
        (folder / f"frus1958-60v19s{number:02d}.xml").write_bytes(data.replace(b"frus1958-60v19", fresh))
    return len(data) * volumes


def tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        # the stat file records the file system (an input written seconds ago has no entry)
        if path.is_file() and not name.startswith("html/pagefind/") and name != ".edition-stat.json":
            files[name] = path.read_bytes()
    if ".edition-manifest.json" in files:
        manifest = json.loads(files[".edition-manifest.json"])
        manifest.pop("key", None)
        files[".edition-manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volumes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    if not VOLUME.is_file():
        print(f"needs {VOLUME} (../shared beside the checkout)", file=sys.stderr)
        return 2
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="edition-cluster-bench-") as folder:
        work = Path(folder)
        series = work / "series"
        size = make_series(series, args.volumes)
        local_out, cluster_out = work / "local", work / "cluster"

        def run(out: Path, extra: list[str]) -> tuple[float, float]:
            times, peak = [], 0
            for _ in range(args.runs):
                shutil.rmtree(out, ignore_errors=True)
                elapsed, rss, code = run_once([*EDITION, "build", *extra, *FORMATS, "--full", "--out", str(out),
                                               str(series)], cwd=REPO)
                if code != 0:
                    raise SystemExit(f"edition build {' '.join(extra)} exited {code}")
                times.append(elapsed)
                peak = max(peak, rss)
            return statistics.median(times), peak / 1024

        local = run(local_out, [])
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", silence_logs=40)
        try:
            remote = run(cluster_out, ["--scheduler", cluster.scheduler_address])
        finally:
            cluster.close()
        local_files, cluster_files = tree(local_out), tree(cluster_out)
        same = local_files == cluster_files
        differing = sorted(name for name in set(local_files) | set(cluster_files)
                           if local_files.get(name) != cluster_files.get(name))
    megabytes = size / 1e6
    print(f"Synthetic series: {args.volumes} volumes, {megabytes:.1f} MB of TEI (-f html -f text -f cite); "
          f"median of {args.runs} run(s)")
    print(f"{'build':44} {'seconds':>8} {'MB/s':>6} {'peak MiB':>9} {'vs local':>9}")
    print(f"{'local, 2 processes':44} {local[0]:8.2f} {megabytes / local[0]:6.2f} {local[1]:9.0f} {'1.00':>9}")
    print(f"{'LocalCluster, 2 workers (--scheduler)':44} {remote[0]:8.2f} {megabytes / remote[0]:6.2f} "
          f"{remote[1]:9.0f} {remote[0] / local[0]:9.2f}")
    print(f"cluster overhead: {remote[0] - local[0]:+.2f} s ({(remote[0] / local[0] - 1) * 100:+.0f}%); "
          f"editions byte-identical: {'yes' if same else 'NO'}")
    for name in differing[:10]:
        print(f"  differs: {name}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
