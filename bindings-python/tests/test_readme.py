"""Docs that run: the README's Python example (between the START/END python-example markers),
the package docstring's doctest, and examples/quickstart.py."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys

from pathlib import Path

import compcode
from helpers import REPO

README = REPO / "bindings-python" / "README.md"
BLOCK = re.compile(
    r"<!-- START python-example -->\s*```python\n(?P<code>.*?)```\s*<!-- END python-example -->", re.DOTALL
)


def snippet(readme: "Path" = README) -> str:
    m = BLOCK.search(readme.read_text(encoding="utf-8"))
    assert m, f"no ```python block between the python-example markers in {readme}"
    return m.group("code")


def test_top_readme_shows_the_same_example() -> None:
    # the repository's first screen must show exactly the example that runs here
    assert snippet(REPO / "README.md") == snippet()


def test_readme_example_runs() -> None:
    code = snippet()
    assert "assert" in code, "the example should assert a result"
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})


def test_readme_example_is_short() -> None:
    assert len(snippet().splitlines()) <= 12


def test_package_doctest() -> None:
    result = doctest.testmod(compcode, verbose=False)
    assert result.attempted >= 1 and result.failed == 0
    result = doctest.testmod(compcode._orchestrator, verbose=False)
    assert result.attempted >= 2 and result.failed == 0


def test_quickstart_example_runs() -> None:
    r = subprocess.run(
        [sys.executable, str(REPO / "bindings-python" / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].split()[0] == "total"


def test_sqlite3_store_example_runs(tmp_path: "Path") -> None:
    script = REPO / "bindings-python" / "examples" / "sqlite3_repository.py"
    db = tmp_path / "example.db"
    r = subprocess.run([sys.executable, str(script), str(db)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "conformance: every check passed"
    assert lines[-1] == "alice,Alice,,2026-Q1,net,,,,,,16000.00,"
    assert db.is_file()
