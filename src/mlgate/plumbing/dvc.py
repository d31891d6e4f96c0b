"""Every DVC call. DVC runs as a child process of the same interpreter, or, where no DVC
command answers the question, through its API imported inside the function that needs
it: never at start-up (importing it takes a second; `mlgate --help` must not). Whichever
way DVC runs, its failure is a CommandFailed with what DVC said."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from mlgate.errors import CommandFailed
from mlgate.plumbing import subproc
from mlgate.plumbing.dvccache import DIR_SUFFIX


def _env() -> dict[str, str]:
    # Stage commands say `python ...`: make that the interpreter mlgate runs on, whose
    # environment has the pipeline's libraries, whatever PATH the caller had.
    bindir = os.path.dirname(sys.executable)
    return {"PATH": bindir + os.pathsep + os.environ.get("PATH", "")}


def dvc(args: Sequence[str], *, cwd: Path, hint: str, capture: bool = True, check: bool = True
        ) -> str:
    proc = subproc.run([sys.executable, "-m", "dvc", *args], cwd=cwd, hint=hint,
                       capture=capture, check=check, env=_env())
    return (proc.stdout or b"").decode("utf-8", "replace")


LOCKED = b"Unable to acquire lock"  # DVC's words when another DVC holds the repo's lock


class DvcStatus:
    """`dvc status --json` for some stages (none named: every stage), started now and read
    later (:class:`mlgate.plumbing.subproc.Started`).

    mlgate runs two at once in one repository (the pipeline's status and the remote's):
    each takes DVC's repository lock, and DVC gives up waiting for it after a few seconds,
    which a loaded machine (twenty promotions at once on two cores) exceeds. A status
    that could not get the lock is asked again, up to :data:`LOCK_TRIES` times in all."""

    def __init__(self, root: Path, stages: Sequence[str], *, cloud: bool = False,
                 tries: int = 0) -> None:
        self.root, self.cloud, self.stages, self.tries = root, cloud, tuple(stages), tries
        self._started = subproc.Started(
            # --with-deps: with the cloud, data that `dvc add` tracks is asked about too
            [sys.executable, "-m", "dvc", "status", "--json",
             *(["--cloud", "--with-deps"] if cloud else []), *stages],
            cwd=root, hint=STATUS_HINT)

    def result(self, only: Sequence[str] | None = None) -> tuple[bool, tuple[str, ...]]:
        """Clean or not, and what changed; with ``only``, of those stages alone (a status of
        every stage, started before the model's stages were known)."""
        code, out, err = self._started.finish()
        if code != 0 and LOCKED in err and self.tries + 1 < LOCK_TRIES:
            return DvcStatus(self.root, self.stages, cloud=self.cloud,
                             tries=self.tries + 1).result(only)
        if only is not None and code != 0:
            # another stage may be what DVC cannot judge: ask about these stages alone
            return DvcStatus(self.root, only, cloud=self.cloud).result()
        if code != 0:
            output = err.decode("utf-8", "replace").strip()
            raise CommandFailed("`dvc status` failed:\n    " + output, hint=STATUS_HINT,
                                argv=tuple(self._started.argv), exit_code=code, output=output)
        text = out.decode("utf-8", "replace").strip()
        status = json.loads(text[text.find("{"):]) if "{" in text else {}
        changes = []
        for target, items in sorted(status.items()):
            if only is not None and target not in only:
                continue
            kinds: list[str] = []
            for item in items if isinstance(items, list) else [items]:
                if isinstance(item, dict):
                    for kind, paths in item.items():
                        detail = ", ".join(f"{p} {s}" for p, s in paths.items()) if isinstance(
                            paths, dict) else str(paths)
                        kinds.append(f"{kind}: {detail}")
                else:
                    kinds.append(str(item))
            changes.append(f"{target} ({'; '.join(kinds)})")
        return (not changes, tuple(changes))

    def cancel(self) -> None:
        """Stop it if it still runs (a bad input ended the command first)."""
        self._started.cancel()


STATUS_HINT = "run `dvc status` yourself to see what DVC needs"
LOCK_TRIES = 4


def repro(targets: Sequence[str], *, cwd: Path, force: bool = False) -> None:
    args = ["repro", *(["--force"] if force else []), *targets]
    dvc(args, cwd=cwd, capture=False,
        hint="fix the stage named above and re-run; `dvc repro -v` shows more")


LEGACY_HASH = "md5-dos2unix"  # DVC 2's objects, at the top of a remote, not under files/md5


def missing_in_remote(root: Path, md5s: Collection[str]) -> dict[str, tuple[str, ...]]:
    """Which of ``md5s`` (files, and directories as DVC names them, ending in ".dir") the
    default DVC remote lacks, wholly or in part: md5 -> () when the object itself is
    missing, else the paths, within the directory, of the entries that are.

    `dvc status --cloud` sees only the working tree; this asks the remote about any
    objects, so that a commit that is not checked out can be judged. Every entry of a
    directory is asked about (DVC's own status trusts a present .dir for its entries).
    Objects DVC 2 wrote (md5-dos2unix, at the remote's top level) count as present."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with Repo(os.fspath(root)) as repo:
            # (remote, local cache) for DVC 3's objects, then for DVC 2's
            pairs = [(repo.cloud.get_remote_odb(None, "push"), repo.cache.local),
                     (repo.cloud.get_remote_odb(None, "push", hash_name=LEGACY_HASH),
                      repo.cache.legacy)]
            return _missing(pairs, set(md5s))
    except (DvcException, OSError) as exc:
        # DVC's words on one line: the "in DVC remote" gate row shows them
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise CommandFailed(detail, output=detail,
                            hint="check the default remote: `dvc remote list`, then "
                                 "`dvc status --cloud`") from None


def _missing(pairs: list[tuple[Any, Any]], asked: set[str]) -> dict[str, tuple[str, ...]]:
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.tree import Tree

    where: dict[str, tuple[Any, Any]] = {}  # md5 -> the (remote, cache) that holds it
    for remote, cache in pairs:
        for md5 in remote.oids_exist(sorted(asked - where.keys())):
            where[md5] = (remote, cache)
    missing: dict[str, tuple[str, ...]] = {md5: () for md5 in asked - where.keys()}
    for md5, (remote, cache) in sorted(where.items()):
        if not md5.endswith(DIR_SUFFIX):
            continue
        try:
            tree = Tree.load(cache, HashInfo(cache.hash_name, md5))
        except FileNotFoundError:  # not in the local cache: read the remote's copy
            tree = Tree.load(remote, HashInfo(remote.hash_name, md5))
        entries = [("/".join(key), hi.value) for key, _, hi in tree if hi and hi.value]
        present = set(remote.oids_exist(sorted({oid for _, oid in entries})))
        lacking = tuple(sorted(path for path, oid in entries if oid not in present))
        if lacking:
            missing[md5] = lacking
    return missing
