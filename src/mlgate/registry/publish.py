"""Writing to the registry: all or nothing, locally and on the remote.

1. build: tag objects (`git mktag`) and the ledger commit, unreferenced, so a crash
   here leaves nothing visible;
2. apply: every ref in ONE `git update-ref --stdin` transaction;
3. push: tags and ledger in ONE `git push --atomic`; if it fails in any way, the local
   refs are put back as they were. Only a lost race (the remote moved on: a concurrent
   promotion won) is worth judging again; a refusal by the remote (a hook, a protected
   ref) or an unreachable remote is reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.errors import MlgateError
from mlgate.plumbing import failpoints, git, subproc
from mlgate.registry import ledger, signing
from mlgate.registry.tags import Action, parse_tag

ZERO = "0" * 40


@dataclass(frozen=True)
class Plan:
    """The refs one registry event creates, and the ledger move."""

    tags: tuple[tuple[str, str], ...]  # (tag name, tag object id)
    ledger_old: str | None
    ledger_new: str

    def refspecs(self) -> list[str]:
        specs = [f"refs/tags/{name}:refs/tags/{name}" for name, _ in self.tags]
        return [*specs, f"{ledger.LEDGER_REF}:{ledger.LEDGER_REF}"]


def make_tag(name: str, commit: str, message: str, *, cwd: Path, ident: str, sign: bool) -> str:
    """An annotated tag object (not yet referenced), signed when ``sign``."""
    body = f"object {commit}\ntype commit\ntag {name}\ntagger {ident}\n\n{message}"
    if sign:
        body = signing.sign_tag(body, cwd=cwd)
    return git.git(["mktag"], cwd=cwd, input_bytes=body.encode("utf-8"),
                   hint="the tag could not be written; is the repository writable?").strip()


def build(records: list[tuple[dict[str, Any], list[tuple[str, str]]]], *, cwd: Path) -> Plan:
    """Objects for ``records``, each with the (tag name, commit) pairs that carry it.
    Every tag of one event has the same tagger line; signed when tag.gpgSign is set."""
    old = ledger.ledger_head(cwd=cwd)
    ident = git.git(["var", "GIT_COMMITTER_IDENT"], cwd=cwd).strip()
    sign = signing.signing_wanted(cwd=cwd)
    parent = old
    tags: list[tuple[str, str]] = []
    for record, carriers in records:
        message = ledger.tag_message(record)
        for name, commit in carriers:
            tags.append((name, make_tag(name, commit, message, cwd=cwd, ident=ident, sign=sign)))
            failpoints.hit(_tag_step(name))
        parent = ledger.build_commit(record, parent, cwd=cwd)
        failpoints.hit("after-ledger-commit")
    assert parent is not None
    return Plan(tuple(tags), old, parent)


def _tag_step(name: str) -> str:
    parsed = parse_tag(name)
    registers = parsed is not None and parsed.action is Action.REGISTER
    return "after-version-tag" if registers else "after-assign-tag"


def apply(plan: Plan, *, cwd: Path) -> None:
    lines = ["start"]
    lines += [f"create refs/tags/{name} {oid}" for name, oid in plan.tags]
    lines.append(f"update {ledger.LEDGER_REF} {plan.ledger_new} {plan.ledger_old or ZERO}")
    lines += ["prepare", "commit"]
    # each tag gets a reflog (git keeps none for tags by default): a tag replaced later in
    # this repository, by hand or by a forced fetch, leaves its old value there for
    # `audit verify`
    git.git(["update-ref", "--create-reflog", "--stdin"], cwd=cwd,
            input_bytes=("\n".join(lines) + "\n").encode(),
            hint="another mlgate command may have changed the registry at the same moment; "
                 "run it again")
    failpoints.hit("after-ref-transaction")


def undo(plan: Plan, *, cwd: Path) -> None:
    """Put local refs back as before ``apply`` (after a push that did not succeed)."""
    lines = ["start"]
    lines += [f"delete refs/tags/{name} {oid}" for name, oid in plan.tags]
    if plan.ledger_old:
        lines.append(f"update {ledger.LEDGER_REF} {plan.ledger_old} {plan.ledger_new}")
    else:
        lines.append(f"delete {ledger.LEDGER_REF} {plan.ledger_new}")
    lines += ["prepare", "commit"]
    git.git(["update-ref", "-m", "mlgate: undo (the push did not succeed)", "--stdin"], cwd=cwd,
            input_bytes=("\n".join(lines) + "\n").encode())


# Why git rejects a ref when the remote moved on since this push began: a concurrent
# promotion won (the ledger is no longer our parent, or a tag of ours exists there). The
# remote's own "cannot lock ref" is the same race, lost inside its ref transaction.
RACE_REASONS = ("non-fast-forward", "fetch first", "already exists", "stale info")
RACE_REMOTE = ("cannot lock ref", "incorrect old value provided")
# what --atomic says of the other refs when one is rejected: not a reason of its own
COLLATERAL = ("atomic push failed", "atomic push failure")
DETAIL_LINES = 40


@dataclass(frozen=True)
class PushResult:
    """``status``: "ok"; "race" (the remote moved on: fetch and judge again); "refused"
    (the remote declined: a hook, a protected ref, permissions); "failed" (git could not
    push at all: an unreachable remote, say). ``detail``: git's output, one line each:
    the refs it rejected, then what it said on stderr (a hook's message among it)."""

    status: str
    detail: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def push(refspecs: list[str], *, remote: str, cwd: Path) -> PushResult:
    failpoints.hit("before-push")
    proc = subproc.run(["git", "push", "--atomic", "--porcelain", remote, *refspecs],
                       cwd=cwd, hint=git.GIT_HINT, check=False)
    failpoints.hit("after-push")
    if proc.returncode == 0:
        return PushResult("ok")
    out = (proc.stdout or b"").decode("utf-8", "replace")
    err = (proc.stderr or b"").decode("utf-8", "replace")
    return judge_push(out, err)


def judge_push(out: str, err: str) -> PushResult:
    """Classify a failed `git push --atomic --porcelain` by its output (pure)."""
    rejected: list[str] = []
    reasons: list[tuple[bool, str]] = []  # (rejected by the remote itself, reason)
    for line in out.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or fields[0] != "!":
            continue
        ref = fields[1].rpartition(":")[2]
        rejected.append(f"{ref}: {fields[2]}")
        summary, _, reason = fields[2].partition(" (")
        reasons.append((summary == "[remote rejected]", reason.rstrip(")")))
    detail = (*rejected, *(line.rstrip() for line in err.splitlines()
                           if line.strip() and not line.startswith("hint:")))
    if not reasons:
        return PushResult("failed", detail)
    own = [(remote_side, reason) for remote_side, reason in reasons if reason not in COLLATERAL]
    lost = bool(own) and all(
        (not remote_side and reason in RACE_REASONS)
        or (remote_side and any(mark in err for mark in RACE_REMOTE))
        for remote_side, reason in own)
    return PushResult("race" if lost else "refused", detail)


def push_error(result: PushResult, *, remote: str, kept: str) -> MlgateError:
    """The error for a push that was refused or failed; ``kept`` says what became of the
    local registry."""
    lines = list(result.detail)
    if len(lines) > DETAIL_LINES:  # a push of many pending tags: say how many were cut
        lines[DETAIL_LINES:] = [f"... ({len(lines) - DETAIL_LINES} more lines)"]
    shown = "".join(f"\n    {line}" for line in lines)
    if result.status == "refused":
        return MlgateError(
            f"the remote {remote!r} refused the push; {kept}:{shown}",
            hint=f"branch protection or rulesets on {remote!r} must let the promote "
                 f"workflow push the branch {ledger.LEDGER_BRANCH} and the registry tags "
                 "(MODEL@vX.Y.Z, MODEL#ENV#N); then run it again")
    return MlgateError(
        f"`git push --atomic {remote}` failed; {kept}:{shown}",
        hint=f"check that the remote {remote!r} is reachable and that this job may push "
             f"to it (`git push --dry-run {remote}`); then run it again")


def fetch_registry(*, remote: str, cwd: Path) -> str | None:
    """Fetch the remote's ledger and the tags missing here; returns the remote ledger head
    (None: the remote has no ledger yet).

    Tags are fetched without force, so only new ones are written, however many the
    registry holds, and a tag that exists here keeps its object: a local record that
    never reached the remote shows up as a ledger that diverged (see adopt_remote). The
    ledger is fetched with a pattern so that a remote without one (a registry made by
    GTO alone, or a first promotion) still gives its tags (`ledger*` matches the ledger,
    and nothing when there is none, where a plain name would fail the whole fetch)."""
    tracking = f"refs/remotes/{remote}/{ledger.LEDGER_BRANCH}"
    proc = subproc.run(
        ["git", "fetch", "--no-tags", "--no-write-fetch-head", "--no-progress", remote,
         f"+{ledger.LEDGER_REF}*:{tracking}*",
         "refs/tags/*:refs/tags/*"], cwd=cwd, hint=git.GIT_HINT, check=False)
    err = (proc.stderr or b"").decode("utf-8", "replace")
    if proc.returncode != 0 and "would clobber existing tag" not in err:
        raise MlgateError(f"cannot fetch the registry from {remote!r}:\n    {err.strip()}",
                          hint=f"check that the remote {remote!r} is reachable")
    out = git.git(["rev-parse", "--verify", "--quiet", tracking], cwd=cwd, check=False).strip()
    return out or None


def adopt_remote(*, remote_head: str | None, cwd: Path) -> list[str]:
    """Move the local ledger up to the remote's (after :func:`fetch_registry`), keeping
    local records not yet pushed: their tags are returned, as refspecs to push first."""
    local = ledger.ledger_head(cwd=cwd)
    if not remote_head or local == remote_head:
        return []
    if local is None:
        git.git(["update-ref", ledger.LEDGER_REF, remote_head, ZERO], cwd=cwd)
        return []
    if git.git_ok(["merge-base", "--is-ancestor", local, remote_head], cwd=cwd):
        git.git(["update-ref", ledger.LEDGER_REF, remote_head, local], cwd=cwd)
        return []
    if git.git_ok(["merge-base", "--is-ancestor", remote_head, local], cwd=cwd):
        return _unpushed_tags(remote_head, local, cwd=cwd)
    raise MlgateError(
        "the local ledger and the remote's have diverged",
        hint=f"records on the local {ledger.LEDGER_BRANCH} were never pushed and "
             "conflict with the remote's: inspect them with `git log "
             f"{ledger.LEDGER_BRANCH}`, then `git update-ref {ledger.LEDGER_REF} "
             f"{remote_head[:12]}` to take the remote's")


def _unpushed_tags(remote_head: str, local: str, *, cwd: Path) -> list[str]:
    """Refspecs of the tags named by ledger records between the remote's head and ours."""
    specs: list[str] = []
    for entry in ledger.read_entries(cwd=cwd, ref=f"{remote_head}..{local}"):
        for name in entry.record.get("predicate", {}).get("tags", []):
            specs.append(f"refs/tags/{name}:refs/tags/{name}")
    return specs
