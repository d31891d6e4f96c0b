"""What the bench scripts share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "mlgate"


def compile_mlgate() -> None:
    """Byte-compile mlgate's modules, as `pip install` leaves them. With an editable
    install and PYTHONDONTWRITEBYTECODE set (as on this machine and many CI runners),
    every run would otherwise compile each module again, and that is not mlgate's time."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SOURCE)], check=True)
