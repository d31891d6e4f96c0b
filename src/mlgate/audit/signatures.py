"""Signed records: when the repository policy at the default branch says `records.signed`,
every tag that carries a record (or that the ledger names) must be signed by an allowed
signer. A record's approvals and CI context cannot be checked against its commit; a
signature by a key the default branch allows is what vouches for them.

git itself verifies (`git verify-tag`), with the allowed-signers file as it is at the
default branch, never the working tree's (which a change under review could edit), and
with `gpg.minTrustLevel=fully`: an SSH key that the file does not list gives a good
signature of no one, and git would accept it otherwise. One `git verify-tag` names every
tag; git runs the signature program once per tag.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from mlgate.audit.findings import Findings
from mlgate.audit.trail import Trail
from mlgate.config.repo_policy import POLICY_FILE, RepoPolicy, read_at
from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import git, subproc

_SIGNATURE = re.compile(r"^-----BEGIN (PGP|SSH) SIGNATURE-----$", re.MULTILINE)
_BATCH = 500  # tags per `git verify-tag`, well within any command-line limit


def default_branch(root: Path) -> git.Ref | None:
    """The default branch, fully qualified (:func:`mlgate.plumbing.git.default_branch` of
    origin); None when there is none."""
    try:
        return git.default_branch("origin", cwd=root)
    except NotFound:
        return None


def required(root: Path) -> tuple[RepoPolicy, git.Ref] | None:
    """The repository policy at the default branch and that branch, when it requires
    signed records; None otherwise (no default branch, no policy, or no requirement)."""
    branch = default_branch(root)
    if branch is None:
        return None
    policy = read_at(root, branch.name)
    if policy is None or not policy.records.signed:
        return None
    return policy, branch


def check_signatures(trail: Trail, out: Findings) -> list[str]:
    """`unsigned` and `bad_signature` findings for the tags that carry records, when the
    policy requires signed records; the notes say what was checked."""
    found = required(trail.root)
    if found is None:
        return []
    policy, branch = found
    naming = trail.naming() if trail.head else {}
    wanted = [e for e in sorted(trail.events, key=lambda e: e.name)
              if e.name in naming or (e.tag_object is not None and e.record is not None)]
    unsigned = [e for e in wanted if e.tag_object is None or not _SIGNATURE.search(e.message)]
    for event in unsigned:
        kind = "a lightweight tag" if event.tag_object is None else "not signed"
        out.add("unsigned", event.name, f"is {kind}, and {policy.source} requires signed "
                                        "records")
    signed = [e for e in wanted if e not in unsigned]
    allowed = _allowed_signers(trail.root, policy, branch)
    good = verified_tags(trail.root, [e.name for e in signed], allowed)
    for event in signed:
        if event.name not in good:
            where = (f"the allowed signers of {policy.records.allowed_signers} at {branch.name}"
                     if policy.records.allowed_signers else "a fully trusted key")
            out.add("bad_signature", event.name, f"is not signed by {where}: `git verify-tag "
                                                 f"{event.name}` tells why")
    return [f"signatures checked against {branch.name} ({len(signed)} signed tag(s))"]


def _allowed_signers(root: Path, policy: RepoPolicy, branch: git.Ref) -> bytes | None:
    path = policy.records.allowed_signers
    if path is None:
        return None
    raw = git.RevReader(branch.commit, cwd=root)(path)
    if raw is None:
        raise MlgateError(f"records.allowed_signers: {path} does not exist at {branch.name}",
                          path=f"{branch.name}:{POLICY_FILE}",
                          hint="commit the allowed-signers file (one `<principal> <ssh key>` "
                               "a line) to the default branch, or fix the path")
    return raw


def verified_tags(root: Path, names: Sequence[str], allowed: bytes | None) -> set[str]:
    """Those of the tags ``names`` whose signature git accepts from a fully trusted signer
    (for SSH: a key listed in ``allowed``, the allowed-signers file's content)."""
    if not names:
        return set()
    good: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="mlgate-signers-") as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_bytes(allowed or b"")
        argv = ["git", "-c", f"gpg.ssh.allowedSignersFile={signers}",
                "-c", "gpg.minTrustLevel=fully", "verify-tag", "--format=%(refname)"]
        for start in range(0, len(names), _BATCH):
            refs = [f"refs/tags/{n}" for n in names[start:start + _BATCH]]
            # exit 1 when any tag fails: those that pass are listed, the rest are not
            proc = subproc.run([*argv, *refs], cwd=root, hint=git.GIT_HINT, check=False)
            listed = (proc.stdout or b"").decode("utf-8", "replace").splitlines()
            good.update(line.removeprefix("refs/tags/") for line in listed)
    return good

