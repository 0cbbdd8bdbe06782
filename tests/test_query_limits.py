"""Saxon needs a large address space to start; under `ulimit -v` the query still answers."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

from conftest import MEMO

LIMIT = 2 * 1024**3


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _query(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-P", "-m", "edition", "query", *arguments], capture_output=True,
                          text=True, timeout=300, preexec_fn=_limited)


def test_auto_answers_with_elementpath_under_an_address_space_limit() -> None:
    result = _query("--format", "json", "//persName ! string()", str(MEMO))
    assert result.returncode == 0, result.stderr
    assert "graal" not in result.stderr
    assert {"Cumming", "Herter"} <= {item["value"] for item in json.loads(result.stdout)}


def test_saxon_asked_for_under_the_limit_is_a_usage_error() -> None:
    result = _query("--engine", "saxon", "//persName", str(MEMO))
    assert result.returncode == 2
    assert "E0901" in result.stderr and "address space" in result.stderr
