"""git.resolve_ref, the one way a user's policy, base or ledger ref is read: fully
qualified names as is, full commit ids, short names only when exactly one ref answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.errors import MlgateError, NotFound
from mlgate.plumbing import git
from tests.support.project import git as run_git

AMBIGUOUS_HINT = ("pass the fully qualified ref you mean, e.g. refs/remotes/origin/main; git "
                  "would silently pick one of them")


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str, str]:
    """main at a second commit; origin/main (remote-tracking) at the first; a tag v1 on it."""
    run_git("init", "-q", cwd=tmp_path)
    run_git("commit", "-q", "--allow-empty", "-m", "first", cwd=tmp_path)
    first = run_git("rev-parse", "HEAD", cwd=tmp_path)
    run_git("update-ref", "refs/remotes/origin/main", first, cwd=tmp_path)
    run_git("tag", "-a", "-m", "annotated", "v1", cwd=tmp_path)
    run_git("commit", "-q", "--allow-empty", "-m", "second", cwd=tmp_path)
    return tmp_path, first, run_git("rev-parse", "HEAD", cwd=tmp_path)


@pytest.mark.parametrize(("given", "name", "at"), [
    ("main", "refs/heads/main", "second"),
    ("origin/main", "refs/remotes/origin/main", "first"),
    ("v1", "refs/tags/v1", "first"),  # an annotated tag: its commit, not the tag object
    ("refs/heads/main", "refs/heads/main", "second"),
    ("refs/remotes/origin/main", "refs/remotes/origin/main", "first"),
])
def test_a_name_one_ref_answers_to(repo: tuple[Path, str, str], given: str, name: str,
                                   at: str) -> None:
    root, first, second = repo
    assert git.resolve_ref(given, cwd=root) == git.Ref(name, first if at == "first" else second)


def test_a_full_commit_id(repo: tuple[Path, str, str]) -> None:
    root, first, _ = repo
    assert git.resolve_ref(first, cwd=root) == git.Ref(first, first)


@pytest.mark.parametrize("given", ["nope", "refs/heads/nope", "main~1", "HEAD", "-p", "",
                                   "ma*", "0" * 40])
def test_unknown(repo: tuple[Path, str, str], given: str) -> None:
    with pytest.raises(NotFound) as caught:
        git.resolve_ref(given, cwd=repo[0])
    assert caught.value.message == f"unknown revision {given!r}"


def test_a_prefix_of_a_ref_is_not_the_ref(repo: tuple[Path, str, str]) -> None:
    # for-each-ref would list refs/heads/team/x for the pattern refs/heads/team
    root, first, _ = repo
    run_git("branch", "team/x", first, cwd=root)
    with pytest.raises(NotFound):
        git.resolve_ref("team", cwd=root)


@pytest.mark.parametrize(("shadow", "listed"), [
    ("refs/tags/origin/main", "refs/tags/origin/main and refs/remotes/origin/main"),
    ("refs/heads/origin/main", "refs/heads/origin/main and refs/remotes/origin/main"),
    # git prefers refs/<name> to every other place: the quietest shadow of all
    ("refs/origin/main", "refs/origin/main and refs/remotes/origin/main"),
])
def test_an_ambiguous_name_is_refused(repo: tuple[Path, str, str], shadow: str,
                                      listed: str) -> None:
    root, _, second = repo
    run_git("update-ref", shadow, second, cwd=root)
    with pytest.raises(MlgateError) as caught:
        git.resolve_ref("origin/main", cwd=root)
    assert not isinstance(caught.value, NotFound)
    assert (caught.value.message, caught.value.hint) == (
        f"ambiguous ref 'origin/main': it names {listed}", AMBIGUOUS_HINT)
    # the fully qualified names stay usable
    assert git.resolve_ref("refs/remotes/origin/main", cwd=root).commit != second
    assert git.resolve_ref(shadow, cwd=root) == git.Ref(shadow, second)


def test_a_ref_named_like_a_commit_id_is_refused(repo: tuple[Path, str, str]) -> None:
    root, first, second = repo
    run_git("update-ref", f"refs/tags/{first}", second, cwd=root)
    with pytest.raises(MlgateError) as caught:
        git.resolve_ref(first, cwd=root)
    assert caught.value.message == (f"ambiguous ref {first!r}: it names {first} and "
                                    f"refs/tags/{first}")


def test_a_revision_may_be_an_expression_but_not_ambiguous(repo: tuple[Path, str, str]
                                                           ) -> None:
    root, first, second = repo
    assert git.resolve("main~1", cwd=root) == first
    assert git.resolve(second[:10], cwd=root) == second
    run_git("tag", "origin/main", second, cwd=root)
    with pytest.raises(MlgateError) as caught:
        git.resolve("origin/main", cwd=root)
    assert caught.value.message == ("ambiguous ref 'origin/main': it names "
                                    "refs/tags/origin/main and refs/remotes/origin/main")
    with pytest.raises(MlgateError):
        git.resolve("origin/main~1", cwd=root)
