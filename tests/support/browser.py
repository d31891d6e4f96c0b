"""Render a page in real headless Chromium, and read the screenshot back without PIL."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

INSTALL = ("headless Chromium is needed to check the HTML report: run `make test` as root "
           "(scripts/ensure-chromium.sh installs it), or `sudo apt-get install chromium`")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(INSTALL)
    return found


@dataclass
class Rendered:
    png: bytes
    stderr: str

    def console_lines(self) -> list[str]:
        """What the page logged or failed to load: none is expected of a static report."""
        return [line for line in self.stderr.splitlines()
                if ":CONSOLE" in line or "Uncaught" in line or "Failed to load" in line]


def render(page: Path, scratch: Path, size: str = "1280,2000") -> Rendered:
    shot = scratch / "shot.png"
    proc = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={scratch / 'profile'}", "--enable-logging=stderr",
         "--v=0", f"--screenshot={shot}", f"--window-size={size}", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert shot.is_file(), proc.stderr
    return Rendered(shot.read_bytes(), proc.stderr)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter(kind: int, line: np.ndarray, previous: np.ndarray, step: int) -> np.ndarray:
    if kind == 0:
        return line
    if kind == 1:  # Sub: a running sum along the row, per channel
        return (np.cumsum(line.reshape(-1, step), axis=0) & 0xFF).astype(np.uint8).ravel()
    if kind == 2:  # Up
        return ((line.astype(np.int64) + previous) & 0xFF).astype(np.uint8)
    out = bytearray(line.tobytes())  # Average and Paeth depend on the byte just decoded
    above = previous.tolist()
    for i in range(len(out)):
        left = out[i - step] if i >= step else 0
        corner = above[i - step] if i >= step else 0
        guess = (left + above[i]) // 2 if kind == 3 else _paeth(left, above[i], corner)
        out[i] = (out[i] + guess) & 0xFF
    return np.frombuffer(bytes(out), dtype=np.uint8)


def pixel_counts(png: bytes, rows: int | None = None) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB colour an 8-bit RGB or RGBA, non-interlaced PNG has
    (in its first ``rows`` rows)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, interlace) == (8, 0) and colour in (2, 6), (depth, colour, interlace)
    step = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, width * step + 1)
    previous = np.zeros(width * step, dtype=np.uint8)
    lines = []
    for y in range(min(height, rows or height)):
        previous = _unfilter(int(raw[y, 0]), raw[y, 1:], previous, step)
        lines.append(previous)
    pixels = np.stack(lines).reshape(-1, step)[:, :3].astype(np.int64)
    colours, counts = np.unique(pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2],
                                return_counts=True)
    return Counter({(int(c) >> 16, int(c) >> 8 & 0xFF, int(c) & 0xFF): int(n)
                    for c, n in zip(colours, counts, strict=True)})
