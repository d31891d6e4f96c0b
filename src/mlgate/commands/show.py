"""`mlgate show [MODEL]`: what each environment serves now, from the registry's tags.

The views come from :func:`mlgate.registry.serving.show`; this module only renders them.
"""

from __future__ import annotations

from mlgate.config.root import find_root
from mlgate.errors import EXIT_OK
from mlgate.registry.serving import show
from mlgate.render.registry_text import render_show


def main(*, model: str | None, fmt: str) -> int:
    print(render_show(show(find_root(), model=model), fmt))
    return EXIT_OK
