"""Verify what an assignment tag deploys, before the deploy workflow ships it.

The tag `MODEL#ENV#N` is resolved as `gto check-ref` resolves it (model, environment,
the commit it points at); its message carries the deployment record. The artifact in the
working tree must have the digest the record's subject gives, the record must agree with
the tag (model, environment, commit, tag name) and must be on the ledger branch, so that
a tag pushed by hand with a made-up record does not deploy.

Invariant: checking reads and hashes, and returns an :class:`ArtifactCheck`; only
:func:`pull` changes the working tree (through `dvc pull`), and only when asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import dvc, git
from mlgate.registry import ledger
from mlgate.registry.state import TagEvent, read_model
from mlgate.registry.tags import Action, parse_tag

DEPLOYABLE = ("promote", "rollback")


@dataclass(frozen=True)
class ArtifactCheck:
    tag: str
    action: str  # the tag's action: assign, unassign, register...
    model: str
    env: str | None
    version: str | None = None
    commit: str | None = None
    artifact: str | None = None
    expected: dict[str, str] = field(default_factory=dict)
    actual: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    superseded_by: str | None = None  # a later event in the same environment

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def deployable(self) -> bool:
        return self.action == Action.ASSIGN.value and self.ok and self.superseded_by is None

    def as_dict(self) -> dict[str, Any]:
        return {"tag": self.tag, "action": self.action, "model": self.model, "env": self.env,
                "version": self.version, "commit": self.commit, "artifact": self.artifact,
                "expected": self.expected, "actual": self.actual, "verified": self.ok,
                "problems": list(self.problems), "notes": list(self.notes),
                "superseded_by": self.superseded_by}


def find_event(tag: str, *, cwd: Path) -> tuple[TagEvent, str | None, str]:
    """The tag's event, the name of the event that now holds its environment (None: the
    environment is empty now), and the model's name (its declaration's, for a tag that
    names a subdirectory artifact's address)."""
    parsed = parse_tag(tag)
    if parsed is None:
        raise MlgateError(f"{tag!r} is not a registry tag",
                          hint="expected MODEL#ENV#N, as `mlgate promote` writes it")
    state = read_model(parsed.model, cwd=cwd)
    event = next((e for e in state.events if e.name == tag), None)
    if event is None:
        raise MlgateError(f"no tag {tag!r} in this repository",
                          hint="fetch the registry first: `git fetch --tags origin`")
    current = state.current(parsed.env) if parsed.env else None
    return event, (current.event.name if current else None), state.name


def pull(tag: str, *, root: Path) -> None:
    """`dvc pull` the artifact the assignment tag's record names; nothing for a tag that is
    not an assignment or carries no record (:func:`verify` then says what is wrong)."""
    parsed = parse_tag(tag)
    if parsed is None or parsed.env is None:
        return
    event = next((e for e in read_model(parsed.model, cwd=root).events
                  if e.name == tag and e.record), None)
    subject = (event.record or {}).get("subject") if event else None
    if subject and subject[0].get("name"):
        dvc.dvc(["pull", subject[0]["name"]], cwd=root, capture=False,
                hint="check the DVC remote and its credentials (`dvc pull -v`)")


def verify(tag: str, *, root: Path, ledger_ref: str = ledger.LEDGER_REF) -> ArtifactCheck:
    event, holder, model = find_event(tag, cwd=root)
    parsed = event.tag
    base = ArtifactCheck(tag, parsed.action.value, model, parsed.env,
                         commit=event.commit)
    if parsed.action is not Action.ASSIGN:
        return _replace(base, notes=(
            f"nothing to deploy: the tag's action is {parsed.action.value}",))
    record = event.record
    if record is None:
        return _replace(base, problems=("the tag's message carries no deployment record: it "
                                        "was not made by `mlgate promote` or `rollback`",))
    pred: dict[str, Any] = record.get("predicate") or {}
    subject = (record.get("subject") or [{}])[0]
    artifact = str(subject.get("name") or "")
    expected = {k: str(v) for k, v in (subject.get("digest") or {}).items()
                if k in ("sha256", "md5")}
    problems = _record_problems(tag, event, pred, ledger_ref, root)
    actual: dict[str, str] = {}
    notes: list[str] = []
    path = root / artifact
    if not artifact or not expected:
        problems.append("the record names no artifact digest to verify")
    elif not path.is_file():
        problems.append(f"{artifact} is not in the working tree (pull it: --pull)")
    else:
        actual = _digests(path)
        algo = "sha256" if "sha256" in expected else "md5"
        if actual[algo] != expected[algo]:
            problems.append(f"{artifact}: {algo} {actual[algo][:12]}..., the record has "
                            f"{expected[algo][:12]}...")
            if git.head_commit(cwd=root) != event.commit:
                notes.append(f"the working tree is not at the tag's commit "
                             f"{event.commit[:12]}: check out the tag, then pull")
    superseded = None if holder == tag else (holder or "a retirement")
    version = pred.get("version")
    return _replace(base, version=f"v{version}" if version else None, artifact=artifact,
                    expected=expected, actual=actual, problems=tuple(problems),
                    notes=tuple(notes), superseded_by=superseded)


def _record_problems(tag: str, event: TagEvent, pred: dict[str, Any], ledger_ref: str,
                     root: Path) -> list[str]:
    problems = []
    claims = {"model": event.tag.model, "environment": event.tag.env, "commit": event.commit}
    for key, want in claims.items():
        # a subdirectory artifact's tags name its address, which its record holds beside
        # the declaration's name
        have = pred.get("address", pred.get(key)) if key == "model" else pred.get(key)
        if have != want:
            problems.append(f"the record's {key} is {have!r}, the tag's is {want!r}")
    if pred.get("action") not in DEPLOYABLE:
        problems.append(f"the record's action is {pred.get('action')!r}, not a deployment")
    if tag not in (pred.get("tags") or []):
        problems.append("the record does not name this tag")
    assert event.record is not None
    try:
        # fully qualified, an ambiguous name refused (exit 2): a tag named like the ledger
        # must not answer for it
        on = git.resolve_ref(ledger_ref, cwd=root)
    except NotFound:
        problems.append(f"no ledger at {ledger_ref}: fetch it "
                        f"(`git fetch origin {ledger.LEDGER_REF}:{ledger.LEDGER_REF}`)")
    else:
        wanted = ledger.digest(event.record)
        if all(ledger.digest(e.record) != wanted
               for e in ledger.read_entries(cwd=root, ref=on.commit)):
            problems.append(f"the record is not on the ledger {ledger_ref}")
    return problems


def _digests(path: Path) -> dict[str, str]:
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            sha256.update(chunk)
            md5.update(chunk)
    return {"sha256": sha256.hexdigest(), "md5": md5.hexdigest()}


def _replace(base: ArtifactCheck, **changes: Any) -> ArtifactCheck:
    import dataclasses

    return dataclasses.replace(base, **changes)
