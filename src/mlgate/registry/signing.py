"""Sign tag objects the way `git tag -s` does, when the repository asks for it.

mlgate writes tag objects with `git mktag` so that all refs land in one transaction;
`git tag -s` cannot do that, so the signature is made here, with the same program
and key git would use (`gpg.format`, `user.signingKey`, `gpg.program`,
`gpg.ssh.program`), and appended to the object as git appends it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from mlgate.errors import MlgateError
from mlgate.plumbing import git


def _config(key: str, *, cwd: Path) -> str | None:
    out = git.git(["config", "--get", key], cwd=cwd, check=False).strip()
    return out or None


def signing_wanted(*, cwd: Path) -> bool:
    value = git.git(["config", "--bool", "--get", "tag.gpgSign"], cwd=cwd, check=False).strip()
    return value == "true"


def sign_tag(body: str, *, cwd: Path) -> str:
    """``body`` with the signature git would append, made with the configured key."""
    payload = body if body.endswith("\n") else body + "\n"
    fmt = _config("gpg.format", cwd=cwd) or "openpgp"
    key = _config("user.signingKey", cwd=cwd)
    if fmt == "ssh":
        signature = _ssh_sign(payload, key, cwd=cwd)
    elif fmt == "openpgp":
        program = _config("gpg.program", cwd=cwd) or "gpg"
        argv = [program, "--status-fd=2", "-bsa"] + (["-u", key] if key else [])
        signature = _run(argv, payload, cwd=cwd)
    else:
        raise MlgateError(f"tag.gpgSign is set with gpg.format={fmt}, which mlgate cannot use",
                          hint="use gpg.format ssh or openpgp, or unset tag.gpgSign")
    return payload + signature


def _ssh_sign(payload: str, key: str | None, *, cwd: Path) -> str:
    if not key:
        raise MlgateError("tag.gpgSign is set with gpg.format=ssh but user.signingKey is not",
                          hint="git config user.signingKey ~/.ssh/id_ed25519.pub")
    program = _config("gpg.ssh.program", cwd=cwd) or "ssh-keygen"
    with tempfile.TemporaryDirectory(prefix="mlgate-sign-") as tmp:
        if key.startswith("key::") or key.startswith("ssh-"):
            keyfile = os.path.join(tmp, "key.pub")
            Path(keyfile).write_text(key.removeprefix("key::") + "\n")
        else:
            keyfile = os.path.expanduser(key)
        return _run([program, "-Y", "sign", "-n", "git", "-f", keyfile], payload, cwd=cwd)


def _run(argv: list[str], payload: str, *, cwd: Path) -> str:
    try:
        proc = subprocess.run(argv, input=payload.encode(), capture_output=True, cwd=cwd,
                              check=False)
    except FileNotFoundError:
        raise MlgateError(f"cannot sign the tag: {argv[0]!r} not found",
                          hint="install it, or unset tag.gpgSign") from None
    if proc.returncode != 0 or not proc.stdout:
        raise MlgateError(f"signing the tag failed ({' '.join(argv[:3])}): "
                          + proc.stderr.decode("utf-8", "replace").strip(),
                          hint="check user.signingKey and that the key can sign")
    return proc.stdout.decode("utf-8")
