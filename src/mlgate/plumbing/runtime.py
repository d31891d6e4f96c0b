"""The runtime a record was made in: the Python version and a digest of the installed
packages (sorted `name==version` lines of every distribution importlib.metadata finds).

Invariant: the same interpreter with the same distributions installed gives the same
digest, whatever the order the environment lists them in; the list itself is kept out of
the record (hundreds of lines), its digest and count are enough to say "the same" or not.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from functools import cache
from importlib import metadata
from typing import Any


@cache  # the installed packages do not change under a running process
def packages() -> tuple[str, ...]:
    """`name==version` of every installed distribution, normalised names, sorted, once
    each (a name found twice on the path is the first one Python would import)."""
    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").strip().lower().replace("_", "-")
        if name and name not in seen:
            seen[name] = dist.version
    return tuple(sorted(f"{name}=={version}" for name, version in seen.items()))


def runtime() -> dict[str, Any]:
    listed = packages()
    text = "".join(line + "\n" for line in listed)
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": sys.platform,
        "packages": {"count": len(listed),
                     "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()},
    }
