"""Reference builds: every output's SHA-256 over a fixed set of inputs, to prove a change byte-identical.

    .venv/bin/python bench/reference_builds.py --save /tmp/refs.json     # before the change
    .venv/bin/python bench/reference_builds.py --check /tmp/refs.json    # after it: lists every difference

To save the digests of an earlier commit while the tree changes, install that commit's wheel with
``pip install --no-deps --target DIR`` and run this script with ``PYTHONPATH=DIR``.

Twenty-one builds: the memo, the FRUS excerpt, the volume, the 63 frus-history documents and the six
any-TEI files, each as the web, text and citation editions (the PDF and search index are left out:
their engines' bytes are checked by their own tests), plus text variants.  Needs ``../shared``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: Folders whose bytes come from outside engines or are built by default only for search.
SKIPPED_PARTS = {"pagefind", "pdf", "epub"}


def cases() -> list[tuple[str, list[str]]]:
    memo = str(REPO / "tei" / "frus1958-60v19-d300.xml")
    volume = str(SHARED / "corpus" / "frus" / "frus1958-60v19.xml")
    excerpt = str(SHARED / "corpus" / "frus" / "frus1958-60v19-d299-d302-context.xml")
    history = str(SHARED / "corpus" / "frus-history-documents")
    any_tei = sorted(str(p) for p in (SHARED / "any-tei").glob("*.xml"))
    web = ["-f", "html", "-f", "text", "-f", "cite"]
    found: list[tuple[str, list[str]]] = [
        ("memo", [memo, *web]),
        ("memo-text-72-diplomatic", [memo, "-f", "text", "--width", "72", "--diplomatic"]),
        ("memo-text-no-pages", [memo, "-f", "text", "--no-pages"]),
        ("memo-dts", [memo, "-f", "dts"]),
        ("excerpt", [excerpt, *web]),
        ("excerpt-text-diplomatic", [excerpt, "-f", "text", "--diplomatic"]),
        ("volume", [volume, *web]),
        ("volume-text-60", [volume, "-f", "text", "--width", "60"]),
        ("history", [history, *web]),
        ("history-text-diplomatic", [history, "-f", "text", "--diplomatic"]),
        ("any-tei-all", [*any_tei, *web]),
    ]
    for path in any_tei:
        found.append((f"any-tei-{Path(path).stem}", [path, *web]))
    found.append(("memo-and-excerpt", [memo, excerpt, *web]))
    found.append(("any-tei-text-40", [*any_tei, "-f", "text", "--width", "40"]))
    found.append(("volume-cite", [volume, "-f", "cite"]))
    found.append(("memo-html", [memo, "-f", "html"]))
    return found


def digest_tree(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not SKIPPED_PARTS.intersection(relative.parts) and not path.name.startswith(".edition"):
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def run_all(only: list[str]) -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    edition = [sys.executable, "-m", "edition"]
    for name, arguments in cases():
        if only and name not in only:
            continue
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "ed"
            done = subprocess.run([*edition, "build", "--full", "--out", str(out), *arguments],
                                  capture_output=True, text=True, env={**os.environ, "SOURCE_DATE_EPOCH": "0"})
            if done.returncode not in (0, 1):
                print(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}", file=sys.stderr)
            results[name] = digest_tree(out) if out.is_dir() else {}
            results[name]["<exit>"] = str(done.returncode)
        print(f"{name}: {len(results[name]) - 1} files", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--only", action="append", default=[])
    options = parser.parse_args()
    if not SHARED.is_dir():
        print("reference builds need ../shared beside the checkout", file=sys.stderr)
        return 2
    results = run_all(options.only)
    if options.save:
        options.save.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
        print(f"saved {sum(len(v) for v in results.values())} digests of {len(results)} builds to {options.save}")
        return 0
    if options.check:
        saved = json.loads(options.check.read_text())
        differences = 0
        for name, files in results.items():
            before = saved.get(name, {})
            for path in sorted(set(before) | set(files)):
                if before.get(path) != files.get(path):
                    differences += 1
                    state = "missing now" if path not in files else "new" if path not in before else "differs"
                    print(f"{name}: {path}: {state}")
        print(f"{len(results)} builds, {differences} differences")
        return 1 if differences else 0
    print(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
