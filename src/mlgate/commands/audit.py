"""`mlgate audit SUBCOMMAND`: the auditor's questions.

- `at TIME --env ENV [MODEL]`: what served ENV at TIME, with its full lineage;
- `verify`: are tags and ledger what mlgate wrote (exit 1 with every finding);
- `diff A B`: what changed between two deployments;
- `export --out DIR`: a self-contained HTML report, JSON and CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlgate.audit import production, timeline, trail
from mlgate.audit.verify import verify as run_verify
from mlgate.config.declarations import find_root
from mlgate.errors import EXIT_FAILED, EXIT_OK, MlgateError
from mlgate.plumbing.files import write_atomic
from mlgate.registry import ledger


def main(*, sub: str, **options: Any) -> int:
    handlers: dict[str, Callable[..., int]] = {"at": at, "verify": verify, "diff": diff,
                                               "export": export}
    code: int = handlers[sub](**options)
    return code


def at(*, time: str, env: str, model: str | None, fmt: str) -> int:
    from mlgate.audit import tags_only
    from mlgate.registry.addresses import declared_name
    from mlgate.render.audit_text import render_at

    when = timeline.parse_time(time)
    root = find_root()
    model = declared_name(root, model) if model else model  # `models/a:churn` too
    # the tags too: where no record covers a model (GTO's assignments before adoption),
    # they answer, saying so (tags_only.beside_records: records win wherever they cover).
    # Beside a ledger their messages are not read: records come from the ledger alone
    reading = trail.Reading(root)
    if reading.head is None:
        return _at_by_tags(reading.result(), when, env, model, fmt)
    loaded = reading.result(messages=False)
    _, envs = timeline.declared_keys(root)
    timeline.check_scope(loaded, model, env, envs)
    stays = timeline.served_at(loaded, when, env, model)
    by_tags, ignored = tags_only.beside_records(loaded, when, env, model)
    served = [{**timeline.lineage(s), "evidence": "record", **production.as_of(loaded, s, when)}
              for s in stays]
    result = {"time": timeline.iso(when), "environment": env,
              "scope": f"model {model}" if model else "every model",
              "ledger": loaded.ledger_ref, "ledger_head": loaded.head,
              "evidence": "records and tags" if by_tags else "records",
              "note": tags_only.TAG_ONLY if by_tags else None,
              "served": sorted(served + by_tags, key=lambda d: str(d["model"])),
              "ignored_tags": ignored}
    print(render_at(result, fmt))
    return EXIT_OK


def _at_by_tags(loaded: trail.Trail, when: datetime, env: str, model: str | None,
                fmt: str) -> int:
    """`audit at` without a ledger: from the registry's tags (made by GTO alone, say),
    saying that they are no evidence; bad input when there are no tags either."""
    from mlgate.audit import tags_only
    from mlgate.render.audit_text import render_at

    if not loaded.registry.models:
        raise MlgateError("no deployment records here: the ledger branch "
                          f"{ledger.LEDGER_BRANCH} is missing, and no registry tag either",
                          hint=f"fetch them: `git fetch --tags origin "
                               f"{ledger.LEDGER_BRANCH}:{ledger.LEDGER_BRANCH}`")
    _, envs = timeline.declared_keys(loaded.root)
    timeline.check_scope(loaded, model, env, envs)
    result = {"time": timeline.iso(when), "environment": env,
              "scope": f"model {model}" if model else "every model",
              "ledger": None, "ledger_head": None, "evidence": "tags only",
              "note": tags_only.NO_RECORDS,
              "served": tags_only.served_at(loaded.registry, when, env, model)}
    print(render_at(result, fmt))
    return EXIT_OK


def verify(*, ledger_ref: str | None, fmt: str) -> int:
    from mlgate.render.audit_text import render_verify

    root = find_root()
    result = run_verify(trail.load(root, ref=ledger_ref))
    print(render_verify(result, fmt))
    return EXIT_OK if result.ok else EXIT_FAILED


def diff(*, a: str, b: str, fmt: str) -> int:
    from mlgate.audit.diff import compare, resolve_pair
    from mlgate.render.audit_views import render_diff

    root = find_root()
    loaded = trail.load(root)
    first, second = resolve_pair(loaded, a, b)
    print(render_diff(compare(loaded, first, second), fmt))
    return EXIT_OK


def export(*, out: str, fmt: str) -> int:
    from mlgate.audit.export import collect
    from mlgate.render.audit_export import files, render_summary

    root = find_root()
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise MlgateError(f"{target} exists and is not a directory",
                          hint="--out names a directory to write the report into")
    gathered = collect(root, now=datetime.now(UTC))
    rendered = files(gathered)
    for name, text in rendered.items():
        write_atomic(target / name, text)
    print(render_summary(gathered, target, list(rendered), fmt))
    return EXIT_OK if gathered.verification.ok else EXIT_FAILED
