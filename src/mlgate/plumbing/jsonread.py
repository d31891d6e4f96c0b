"""Decoding JSON records fast, with exactly the standard library's results.

Verifying a ledger decodes every record (10,000 records: 0.75 s with :mod:`json`, a
third of that with orjson, which DVC already installs). orjson differs from :mod:`json`
in a few corners: it rejects NaN, infinities and lone surrogates, and reads integers
beyond 64 bits as floats. Whatever orjson rejects, and any text with such a long integer,
is decoded by :mod:`json`, so that a record's digest never depends on the decoder.
Encoding (canonical JSON, whose bytes are hashed) stays with :mod:`json`.

Every text is untrusted (a metrics file, an approvals file, a profile, a record in a tag
message): nesting deeper than ``max_depth`` is a decoding error before any decoder runs,
since both decoders recurse and :mod:`json` ends in a RecursionError. :func:`load_file`
turns every way a file's bytes can fail into an InvalidFile at file:line:column.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from mlgate.errors import InvalidFile

# as deep as the YAML loader allows (config/yamlio.py): metrics, approvals and profiles
# nest a few levels; a record holds a metrics file a few levels down, hence twice that
MAX_DEPTH = 64
RECORD_DEPTH = 2 * MAX_DEPTH

# 2**63 has 19 digits: an integer that long may be read as a float by orjson. A number
# token starts the text or follows `[`, `:`, `,` or white space (a minus between), so a
# run of 19 digits there sends the text to json. Runs inside strings (a commit id, a hex
# digest) mostly follow a letter or a quote; when they do not, json decides: slower,
# never different. Runs are found at C speed: every digit made "0", then substring search.
_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19
_BEFORE_NUMBER = frozenset(b"[:, \t\n\r")


def _long_number(data: bytes) -> bool:
    zeros = data.translate(_DIGITS)
    at = zeros.find(_LONG_RUN)  # always where a run of digits begins: the leftmost match
    while at >= 0:
        before = at - 2 if at > 0 and data[at - 1] == 0x2D else at - 1  # past a minus
        if before < 0 or data[before] in _BEFORE_NUMBER:
            return True
        end = at + len(_LONG_RUN)
        while end < len(zeros) and zeros[end] == 0x30:
            end += 1
        at = zeros.find(_LONG_RUN, end)
    return False


# a string token (its brackets are not structure), or a bracket
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_PARENS = bytes.maketrans(b"[{]}", b"(())")
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_OPEN = frozenset(b"[{")


def _brackets(data: bytes) -> bytes:
    """The brackets outside strings, as ``(`` and ``)``, with bytes operations only (a
    regular expression over every string is as slow as decoding). Escaped backslashes and
    quotes go first, so every quote left opens or closes a string."""
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in data else data
    return b"".join(unescaped.translate(_PARENS, _NOT_STRUCTURE).split(b'"')[::2])


def _too_deep(data: bytes, limit: int) -> int | None:
    """The offset of the first bracket that opens deeper than ``limit``, else None. Where
    the text is not JSON the count may be off past the first error, where the decoder
    stops anyway. At C speed: each pass removes the innermost pairs, so a text nested D
    deep is left with no brackets after D passes (and an unbalanced one never is)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return None
    brackets = _brackets(data)
    for _ in range(limit):
        if not brackets:
            return None
        brackets = brackets.replace(b"()", b"")
    if not brackets:
        return None
    depth = 0  # too deep, or unbalanced: find where, slowly, once
    for match in _TOKEN.finditer(data):
        byte = data[match.start()]
        if byte in _OPEN:
            depth += 1
            if depth > limit:
                return match.start()
        elif byte != 0x22:
            depth -= 1
    return None  # unbalanced (not JSON) but never too deep: the decoder says what is wrong


class TooDeep(json.JSONDecodeError):
    """Nested deeper than the caller allows; ``limit`` is that depth."""

    def __init__(self, limit: int, data: bytes, offset: int) -> None:
        self.limit = limit
        text = data[:offset].decode("utf-8", "replace")
        super().__init__(f"nested more than {limit} levels deep", text, len(text))


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(raw)``, faster; raises json.JSONDecodeError (a TooDeep when nested
    deeper than ``max_depth``) or UnicodeDecodeError."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    offset = _too_deep(data, max_depth)
    if offset is not None:
        raise TooDeep(max_depth, data, offset)
    if not _long_number(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # the standard library decides (and words the error)
    return json.loads(raw)


def load_file(raw: bytes, path: str | None, *, hint: str) -> Any:
    """The JSON document in a file's bytes; an InvalidFile at ``path``:line:column when they
    are not UTF-8, not JSON, or nested deeper than MAX_DEPTH (``hint`` says what the file
    should hold)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidFile(f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                          path=path, line=line, column=column,
                          hint="save the file as UTF-8") from None
    try:
        return loads(text.removeprefix("\ufeff"))
    except TooDeep as exc:
        raise InvalidFile(f"nested more than {exc.limit} levels deep", path=path,
                          line=exc.lineno, column=exc.colno,
                          hint=hint) from None
    except json.JSONDecodeError as exc:
        raise InvalidFile(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno,
                          column=exc.colno, hint=hint) from None
