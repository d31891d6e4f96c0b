"""Every git call mlgate makes. Reads go through plumbing (`cat-file`, `for-each-ref`),
never a checkout, so a policy or a metrics file can be read at any ref. What does not
exist is a NotFound (or None, where the function says so); git failing is CommandFailed.
A ref a user names is resolved to one fully qualified ref or refused: git's own guess
between refs of the same short name is never taken."""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import subproc

GIT_HINT = "check that this is a git repository and that git works here (`git status`)"


def git(args: Sequence[str], *, cwd: Path, hint: str = GIT_HINT, check: bool = True,
        input_bytes: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
    proc = subproc.run(["git", *args], cwd=cwd, hint=hint, check=check, input_bytes=input_bytes,
                       env=env)
    return (proc.stdout or b"").decode("utf-8", "replace")


def start(args: Sequence[str], *, cwd: Path, hint: str = GIT_HINT) -> subproc.Started:
    """A git command started now, read with ``.result()`` later."""
    return subproc.Started(["git", *args], cwd=cwd, hint=hint)


def git_ok(args: Sequence[str], *, cwd: Path) -> bool:
    return subproc.run(["git", *args], cwd=cwd, hint=GIT_HINT, check=False).returncode == 0


def toplevel(cwd: Path) -> Path:
    out = git(["rev-parse", "--show-toplevel"], cwd=cwd,
              hint="run mlgate inside the git repository that holds dvc.yaml")
    return Path(out.strip())


UNKNOWN_HINT = ("name a branch, tag or commit that exists here (`git fetch` first if it is on "
                "the remote)")
# Where git looks for a short name, in git's own order (`git help revisions`). git takes the
# first that exists and only warns: a tag `origin/main`, or a ref `refs/origin/main`, made by
# a pull request's own code would silently stand in for the branch.
SHORT_NAME_PLACES = ("refs/{}", "refs/tags/{}", "refs/heads/{}", "refs/remotes/{}",
                     "refs/remotes/{}/HEAD")
_FULL_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_AMBIGUOUS = re.compile(rb"^warning: refname '(.+)' is ambiguous\.$", re.MULTILINE)


@dataclass(frozen=True)
class Ref:
    """A ref as mlgate read it: never a name git had to guess."""

    name: str  # fully qualified (refs/...), or the full commit id it was given as
    commit: str


def resolve_ref(given: str, *, cwd: Path) -> Ref:
    """The one ref that ``given`` names, for a policy, a base or a ledger: a fully qualified
    name as is, a full commit id, or a short name found in exactly one of
    :data:`SHORT_NAME_PLACES`. A short name found in more than one is refused (exit 2);
    an unknown one is NotFound."""
    if not given or given.startswith("-") or any(c in given for c in "*?[\\ \t\n"):
        raise NotFound(f"unknown revision {given!r}", hint=UNKNOWN_HINT)
    qualified = given.startswith("refs/")
    found = _exact_refs([given] if qualified else [p.format(given) for p in SHORT_NAME_PLACES],
                        cwd=cwd)
    if _FULL_ID.fullmatch(given):
        if found:
            raise ambiguous(given, [given, *found])
        return Ref(given, resolve(given, cwd=cwd))
    if not found:
        raise NotFound(f"unknown revision {given!r}", hint=UNKNOWN_HINT)
    if len(found) > 1:
        raise ambiguous(given, list(found))
    name, commit = next(iter(found.items()))
    return Ref(name, commit or resolve(name, cwd=cwd))


def first_ref(names: Sequence[str], *, cwd: Path) -> Ref | None:
    """:func:`resolve_ref` of the first of ``names`` (fully qualified) that names a commit
    here, None when none does: one git for all of them, not one each."""
    found = _exact_refs(names, cwd=cwd)
    for name in names:
        if name not in found:
            continue
        try:
            return Ref(name, found[name] or resolve(name, cwd=cwd))
        except NotFound:
            continue
    return None


def ambiguous(given: str, candidates: Sequence[str]) -> MlgateError:
    """The refusal of a name that more than one ref (or a ref and a commit id) answers to."""
    listed = (", ".join(candidates[:-1]) + " and " if len(candidates) > 1 else "") + \
        candidates[-1]
    # a remote's branch is what a CI job compares with, so it is the likeliest meant
    branch = next((c for place in ("refs/remotes/", "refs/heads/") for c in candidates
                   if c.startswith(place)), candidates[0])
    return MlgateError(f"ambiguous ref {given!r}: it names {listed}",
                       hint=f"pass the fully qualified ref you mean, e.g. {branch}; git "
                            "would silently pick one of them")


def _exact_refs(names: Sequence[str], *, cwd: Path) -> dict[str, str]:
    """{refname: its commit ('' when it is not a plain commit or a tag of one)} of those of
    ``names`` that exist, in the order given. for-each-ref matches a pattern as a prefix
    too (`refs/tags/a` lists `refs/tags/a/b`): only exact names count."""
    out = git(["for-each-ref", "--format=%(refname)%00%(objecttype)%00%(objectname)%00"
               "%(*objecttype)%00%(*objectname)", "--", *names], cwd=cwd)
    listed = {}
    for line in out.splitlines():
        name, kind, oid, peeled_kind, peeled = line.split("\0")
        commit = oid if kind == "commit" else peeled if peeled_kind == "commit" else ""
        listed[name] = commit
    return {name: listed[name] for name in names if name in listed}


def default_branch(remote: str, *, cwd: Path) -> Ref:
    """The default branch, fully qualified, where policy is read when none is named:
    ``refs/remotes/<remote>/HEAD``'s target when it is set (`git remote set-head`; a clone
    sets it), else ``refs/remotes/<remote>/main`` or ``.../master``. A repository with no
    such remote at all reads its own ``refs/heads/main`` (or ``master``). A remote that is
    configured but was never fetched is an error: the local branch is not its stand-in."""
    head = git(["symbolic-ref", "-q", f"refs/remotes/{remote}/HEAD"], cwd=cwd,
               check=False).strip()
    remotes = git(["remote"], cwd=cwd).split()
    if remote in remotes:
        places = [head] if head else [f"refs/remotes/{remote}/{b}" for b in ("main", "master")]
        hint = (f"`git fetch {remote}` (and `git remote set-head {remote} --auto`), or name "
                "the branch that holds the policy with --policy-ref")
    else:
        places = ["refs/heads/main", "refs/heads/master"]
        hint = "name the branch that holds the policy with --policy-ref"
    found = _exact_refs(places, cwd=cwd)
    if not found:
        where = f"remote {remote!r}" if remote in remotes else f"no remote {remote!r}, and"
        raise NotFound(f"cannot find the default branch: {where} has none of "
                       f"{', '.join(places)}", hint=hint)
    name, commit = next(iter(found.items()))
    return Ref(name, commit or resolve(name, cwd=cwd))


def is_ancestor(commit: str, of: str, *, cwd: Path) -> bool:
    """Whether ``commit`` is reachable from ``of`` (or is it)."""
    proc = subproc.run(["git", "merge-base", "--is-ancestor", commit, of], cwd=cwd,
                       hint=GIT_HINT, check=False)
    if proc.returncode not in (0, 1):
        raise subproc.failure(["git", "merge-base", "--is-ancestor", commit, of],
                              proc.returncode, proc.stderr, proc.stdout, hint=GIT_HINT)
    return proc.returncode == 0


def resolve(rev: str, *, cwd: Path) -> str:
    """Full commit id of ``rev``, any revision git understands (`main~2`, an abbreviated
    id): NotFound when it names no commit here, an MlgateError when a name in it is
    ambiguous, CommandFailed when git cannot answer (not a repository, a corrupt one)."""
    if rev.startswith("-"):
        raise NotFound(f"not a revision: {rev!r}", hint="name a branch, tag or commit")
    # `^0`, not `^{commit}`: git peels both to the commit but warns of an ambiguous name
    # only for the first; the warning is read, so it must be in English
    argv = ["git", "-c", "core.warnAmbiguousRefs=true", "rev-parse", "--verify", "--quiet",
            f"{rev}^0"]
    proc = subproc.run(argv, cwd=cwd, hint=GIT_HINT, check=False,
                       env={"LC_ALL": "C", "LANGUAGE": "C"})
    # --verify --quiet exits 1 for a name that resolves to no commit; git's own failures
    # (no repository, an unreadable one) exit 128
    if proc.returncode == 1:
        raise NotFound(f"unknown revision {rev!r}", hint=UNKNOWN_HINT)
    if proc.returncode != 0:
        raise subproc.failure(argv, proc.returncode, proc.stderr, proc.stdout, hint=GIT_HINT)
    shadowed = _AMBIGUOUS.search(proc.stderr or b"")
    if shadowed:
        name = shadowed.group(1).decode("utf-8", "replace")
        candidates = list(_exact_refs([p.format(name) for p in SHORT_NAME_PLACES], cwd=cwd))
        raise ambiguous(name, candidates or [f"more than one ref called {name}"])
    return (proc.stdout or b"").decode().strip()


def head_commit(*, cwd: Path) -> str | None:
    proc = subproc.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"], cwd=cwd,
                       hint=GIT_HINT, check=False)
    return (proc.stdout or b"").decode().strip() or None


@dataclass(frozen=True)
class Blob:
    oid: str
    data: bytes


class RevReader:
    """Reads files at one commit through one `git cat-file --batch` process."""

    def __init__(self, commit: str, *, cwd: Path) -> None:
        self.commit = commit
        self.cwd = cwd
        self._cache: dict[str, Blob | None] = {}

    def blob(self, relpath: str) -> Blob | None:
        if relpath not in self._cache:
            found = cat_files([f"{self.commit}:{relpath}"], cwd=self.cwd)
            self._cache[relpath] = found[0]
        return self._cache[relpath]

    def __call__(self, relpath: str) -> bytes | None:
        blob = self.blob(relpath)
        return None if blob is None else blob.data


def cat_files(specs: Sequence[str], *, cwd: Path) -> list[Blob | None]:
    """Contents of many `rev:path` objects in one process; None for those that are missing
    (or are not files)."""
    return [Blob(oid, data) if kind == "blob" else None
            for oid, kind, data in cat_objects(specs, cwd=cwd)]


def object_kinds(specs: Sequence[str], *, cwd: Path) -> list[tuple[str, str] | None]:
    """(id, type) of many objects in one `git cat-file --batch-check`, which reads no
    content; None for those that do not exist."""
    if not specs:
        return []
    for spec in specs:
        if "\n" in spec:
            raise MlgateError(f"invalid object name {spec!r}: contains a newline")
    payload = "".join(spec + "\n" for spec in specs).encode()
    proc = subproc.run(["git", "cat-file", "--batch-check"], cwd=cwd, input_bytes=payload,
                       hint=GIT_HINT)
    lines = (proc.stdout or b"").decode("utf-8", "replace").splitlines()
    return [(parts[0], parts[1]) if len(parts) == 3 else None
            for parts in (line.split() for line in lines)]


def cat_objects(specs: Sequence[str], *, cwd: Path) -> list[tuple[str, str, bytes]]:
    """(id, type, bytes) of many objects in one `git cat-file --batch`; ("", "missing", b"")
    for those that do not exist. Input and output go through temporary files, not pipes:
    megabytes of records are read at once rather than in pipe-sized pieces."""
    if not specs:
        return []
    for spec in specs:
        if "\n" in spec:
            raise MlgateError(f"invalid path {spec!r}: contains a newline")
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as taken:
        given.write("".join(spec + "\n" for spec in specs).encode())
        given.seek(0)
        argv = ["git", "cat-file", "--batch"]
        try:
            proc = subprocess.run(argv, cwd=cwd, stdin=given, stdout=taken,
                                  stderr=subprocess.PIPE, env=subproc.child_env(), check=False)
        except FileNotFoundError:
            raise subproc.not_started(argv, hint=GIT_HINT) from None
        # a corrupt object is reported as "missing" with exit 0, and an error on stderr:
        # unreadable is not absent
        if proc.returncode != 0 or _git_errors(proc.stderr):
            raise subproc.failure(argv, proc.returncode, proc.stderr, None, hint=GIT_HINT)
        taken.seek(0)
        out = taken.read()
    found: list[tuple[str, str, bytes]] = []
    pos = 0
    for _ in specs:
        end = out.index(b"\n", pos)
        parts = out[pos:end].decode().split()
        pos = end + 1
        if len(parts) == 3:
            size = int(parts[2])
            found.append((parts[0], parts[1], out[pos:pos + size]))
            pos += size + 1
        else:  # "<spec> missing" / "ambiguous"
            found.append(("", "missing", b""))
    return found


def _git_errors(stderr: bytes) -> bool:
    """Whether git reported an error (not merely a warning, such as an ambiguous name)."""
    return any(line.startswith((b"error:", b"fatal:")) for line in stderr.splitlines())


def ls_tree(commit: str, paths: Sequence[str] = (), *, cwd: Path) -> list[tuple[str, str]]:
    """(blob id, path) of every file at ``commit``, or under ``paths`` (literal paths, not
    patterns: files, or directories for all the files in them); one `git ls-tree -r`."""
    out = subproc.run(["git", "ls-tree", "-r", "-z", commit, "--", *paths], cwd=cwd,
                      hint=GIT_HINT, env={"GIT_LITERAL_PATHSPECS": "1"}).stdout
    return tree_entries(out or b"")


def tree_entries(out: bytes) -> list[tuple[str, str]]:
    """(blob id, path) of each file in the output of `git ls-tree -r -z` (entries
    `MODE blob ID<TAB>PATH`, each ended by a NUL): one regular expression over all of it,
    not a split per entry (a ledger's tree has one file per record)."""
    return _BLOB_ENTRY.findall(out.decode("utf-8", "replace"))


_BLOB_ENTRY = re.compile(r"(?:^|(?<=\0))[0-7]+ blob ([0-9a-f]+)\t([^\0]*)")


def dirty_paths(*, cwd: Path) -> list[str]:
    """Tracked files that differ from HEAD, and untracked files git does not ignore."""
    out = git(["status", "--porcelain=v1", "-z", "--untracked-files=normal"], cwd=cwd)
    paths = []
    entries = out.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # renames carry the old path as the next entry
            i += 1
    return paths


def commits_touching(path: str, *, cwd: Path, rev: str = "HEAD", limit: int = 500
                     ) -> list[tuple[str, int]]:
    """(commit, committer time) of commits that changed ``path``, newest first."""
    out = git(["log", f"-n{limit}", "--format=%H %ct", rev, "--", path], cwd=cwd)
    result = []
    for line in out.splitlines():
        sha, _, when = line.partition(" ")
        result.append((sha, int(when)))
    return result


def commit_author(commit: str, *, cwd: Path) -> tuple[str, str]:
    out = git(["show", "-s", "--format=%an%x00%ae", commit], cwd=cwd)
    name, _, email = out.strip().partition("\0")
    return name, email


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``, as `git hash-object` prints it (SHA-1 repositories)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
