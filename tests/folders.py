"""Every file of a folder and its SHA-256, by relative path: what byte-identity tests compare.  (A test helper.)"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digests(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file under ``folder``, in path order."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}
