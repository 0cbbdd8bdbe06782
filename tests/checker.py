"""The Nu HTML Checker (vnu.jar from npm, on the machine's Java), as the tests run it on built pages."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def checker_reason() -> str | None:
    """Why the checker cannot run here, or None."""
    if shutil.which("java") is None:
        return "java is not installed (the Nu HTML Checker runs on the machine's Java)"
    if not VNU.is_file():
        return "node_modules/vnu-jar is missing: run `npm install` (package.json lists vnu-jar)"
    return None


def html_errors(pages: Sequence[Path]) -> list[str]:
    """The checker's errors on ``pages``, one line each (``page:line: message``)."""
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [f"{m.get('url', '')}:{m.get('lastLine', '?')}: {m.get('message')}" for m in messages
            if m.get("type") == "error" or m.get("subType") == "fatal"]
