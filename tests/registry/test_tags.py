"""The tag grammar: a table of names and what they mean, both ways."""

from __future__ import annotations

import pytest

from mlgate.registry.tags import Action, TagName, Version, format_tag, parse_tag

ROUND_TRIP = [
    ("employment@v1.2.0", TagName("employment", Action.REGISTER, version="1.2.0")),
    ("employment@v1.2.0!", TagName("employment", Action.DEREGISTER, version="1.2.0")),
    ("employment@v0.1.0-rc.1+build.5", TagName("employment", Action.REGISTER, version="0.1.0-rc.1+build.5")),
    ("employment#production#7", TagName("employment", Action.ASSIGN, env="production", counter=7)),
    ("employment#production!#8", TagName("employment", Action.UNASSIGN, env="production", counter=8)),
    ("employment#staging", TagName("employment", Action.ASSIGN, env="staging")),
    ("employment@deprecated", TagName("employment", Action.DEPRECATE)),
    ("employment@deprecated#3", TagName("employment", Action.DEPRECATE, counter=3)),
    ("credit-risk-2@v10.0.1#12", TagName("credit-risk-2", Action.REGISTER, version="10.0.1", counter=12)),
    ("models=churn#prod#1", TagName("models:churn", Action.ASSIGN, env="prod", counter=1)),
]


@pytest.mark.parametrize(("text", "tag"), ROUND_TRIP, ids=[t for t, _ in ROUND_TRIP])
def test_parse_and_format_are_inverse(text: str, tag: TagName) -> None:
    assert parse_tag(text) == tag
    assert format_tag(tag) == text


@pytest.mark.parametrize("text", [
    "v1.2.0", "employment", "employment@1.2.0", "employment@v1.2", "employment@v01.2.0",
    "employment#", "employment#prod#", "employment#prod#x", "-employment@v1.0.0",
    "employment@v1.0.0!!", "employment#pro duction#1", "release-2024",
])
def test_other_tags_are_not_the_registrys(text: str) -> None:
    assert parse_tag(text) is None


@pytest.mark.parametrize(("older", "newer"), [
    ("1.0.0", "1.0.1"), ("1.0.9", "1.1.0"), ("1.9.0", "2.0.0"), ("1.0.0-rc.1", "1.0.0"),
    ("0.9.10", "0.10.0"),
])
def test_version_order(older: str, newer: str) -> None:
    a, b = Version.parse(older), Version.parse(newer)
    assert a is not None and b is not None
    assert a.sort_key() < b.sort_key()


def test_version_parse_rejects_non_semver() -> None:
    assert Version.parse("1.2") is None
    assert str(Version.parse("v1.2.3")) == "1.2.3"


@pytest.mark.parametrize(("text", "tag"), ROUND_TRIP, ids=[t for t, _ in ROUND_TRIP])
def test_gto_reads_our_tags_the_same_way(text: str, tag: TagName) -> None:
    from gto.tag import parse_name

    parsed = parse_name(text)
    assert parsed["name"] == tag.model
    assert parsed["action"].value == tag.action.value
    assert parsed.get("version") == (f"v{tag.version}" if tag.version else None)
    assert parsed.get("stage") == tag.env
    assert parsed.get("counter") == tag.counter


def test_a_listing_read_in_any_pieces_gives_the_same_fields() -> None:
    """`for-each-ref`'s output is read as it comes: wherever the pieces break (inside a
    field, inside a UTF-8 character), the same fields, those of whole tags only."""
    from mlgate.registry.state import listed_fields

    tags = [["m@v1.0.0", "tag", "a" * 40, "Registering café ✓\n"],
            ["\nm#prod#1", "tag", "b" * 40, "Assigning\n\nbody"],
            ["\nm#prod#2", "commit", "c" * 40, ""]]
    listing = "".join(f + "\0" for tag in tags for f in tag).encode() + b"\n"
    for size in (1, 2, 3, 7, 50, len(listing)):
        pieces = [listing[i:i + size] for i in range(0, len(listing), size)]
        fields = [f for batch in listed_fields(pieces, 4) for f in batch]
        assert fields == [f for tag in tags for f in tag]
    assert list(listed_fields([], 4)) == []
    assert list(listed_fields([b"m@v1.0.0\0tag\0"], 4)) == []  # a tag not all there yet
