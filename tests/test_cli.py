"""The CLI shell: help, version, usage errors, and what start-up imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlgate import __version__
from tests.support.project import Project

PROBE = """
import sys
from mlgate.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({m.split('.')[0] for m in sys.modules} & {'dvc', 'git', 'pandas', 'sklearn', 'pyarrow'})
print('HEAVY=' + ','.join(heavy), file=sys.stderr)
"""


def imports_after(args: list[str], cwd: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True,
                          text=True, check=False)
    line = [x for x in proc.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, proc.stderr
    return line[0].removeprefix("HEAVY=")


def test_help_and_validate_do_not_import_dvc(tiny: Project) -> None:
    assert imports_after(["--help"], tiny.path) == ""
    assert imports_after(["validate"], tiny.path) == ""


def test_help_lists_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    proc = subprocess.run([sys.executable, "-m", "mlgate", "--help"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert "validate" in proc.stdout and "run" in proc.stdout


def test_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "mlgate", "--version"], capture_output=True,
                          text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, f"mlgate {__version__}\n")


def test_unknown_command_is_a_usage_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("promoet", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("argument COMMAND: invalid choice: 'promoet'")
    assert result.err.rstrip().endswith("hint: see `mlgate --help`")


def test_no_command_prints_help(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli(cwd=tmp_path)
    assert result.code == 2
    assert result.out.startswith("usage: mlgate")


def test_outside_a_repository(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith(f"{tmp_path.resolve()}: not inside a git or DVC repository")


def test_a_reader_that_leaves_early_is_not_an_internal_error(tmp_path: Path) -> None:
    """`mlgate ... | head` closes the pipe; mlgate stops quietly, without a bug report."""
    import os

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: the first write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "mlgate", "show"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, check=False, cwd=tmp_path)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""
