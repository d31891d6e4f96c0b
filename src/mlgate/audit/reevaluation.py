"""`reproduce` of a record's independent evaluation: the same pinned holdout and scorer
(checked against the record's md5 and blob ids), the reproduced artifact and the recorded
incumbents scored again, every metric and paired difference compared with the record.

Deterministic by construction: the holdout and the scorer are fixed by their digests and
the bootstrap by its seed, so a number that differs is a finding, not noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlgate.audit.records import Record
from mlgate.config.metricsfile import flatten
from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import git
from mlgate.plumbing.dvccache import cached_file, file_md5

KIND = "evaluation"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def reevaluate(root: Path, record: Record, model: str, artifact: Path
               ) -> list[tuple[str, str | None, str | None]]:
    """(what, recorded, reproduced) of every fact of the record's evaluation; [] when the
    record carries none."""
    from mlgate.evaluation.pinned import pin
    from mlgate.gates import independent, paired_gate

    ev = record.mapping("evaluation")
    if not ev:
        return []
    ref, commit = ev.get("ref"), ev.get("commit")
    if not isinstance(ref, str) or not isinstance(commit, str):
        raise MlgateError("the record's evaluation names no ref and commit",
                          hint="`mlgate audit verify` checks the record")
    pinned = pin(root, model, git.Ref(ref, commit))
    rows: list[tuple[str, str | None, str | None]] = []
    hold = ev.get("holdout") if isinstance(ev.get("holdout"), dict) else {}
    assert isinstance(hold, dict)
    if pinned is None:
        return [("evaluation declared", "yes", f"no evaluation at {commit[:12]}")]
    rows.append(("holdout md5", _text(hold.get("md5")), pinned.holdout_md5))
    code = ev.get("code") if isinstance(ev.get("code"), dict) else {}
    assert isinstance(code, dict)
    for path in sorted(set(code) | set(pinned.code)):
        rows.append((f"scorer {path}", _text(code.get(path)), pinned.code.get(path)))
    rows.append(("scorer command", _text(ev.get("command")), pinned.evaluation.score))
    incumbents: dict[str, tuple[str, str, Path] | None] = {}
    recorded_inc = ev.get("incumbents") if isinstance(ev.get("incumbents"), dict) else {}
    assert isinstance(recorded_inc, dict)
    for env, found in recorded_inc.items():
        if not isinstance(found, dict) or not isinstance(found.get("artifact_md5"), str):
            incumbents[env] = None
            continue
        path = cached_file(root, found["artifact_md5"])
        if not path.is_file():
            raise NotFound(f"the artifact {found.get('version')} had in {env} (md5 "
                           f"{found['artifact_md5'][:8]}) is not in the local DVC cache",
                           hint="bring it with `dvc fetch --all-commits`, then run this again")
        incumbents[env] = (str(found.get("version")), found["artifact_md5"], path)
    md5 = file_md5(artifact) or ""
    redone = independent.score_models(root, pinned, (md5, artifact, "the reproduced artifact"),
                                      incumbents)
    rows.append(("rows", _text(ev.get("rows")), _text(redone.rows)))
    before = flatten(((ev.get("candidate") or {}).get("metrics")) or {})
    after = flatten(redone.candidate.metrics)
    for name in sorted(set(before) | set(after)):
        rows.append((f"candidate {name}", _text(before.get(name)), _text(after.get(name))))
    for p in ev.get("paired") or []:
        if not isinstance(p, dict) or redone.incumbents.get(str(p.get("environment"))) is None:
            continue
        again = paired_gate.compare(redone, str(p["environment"]), str(p.get("metric")),
                                    method=str(p.get("method")),
                                    level=float(p.get("confidence") or 0.95),
                                    resamples=int(p.get("resamples") or 1000),
                                    seed=int(p.get("seed") or 0))
        for key in ("difference", "low", "high"):
            rows.append((f"paired {p.get('metric')} vs {p.get('incumbent_version')} {key}",
                         _text(p.get(key)), _text(getattr(again, key))))
    return rows
