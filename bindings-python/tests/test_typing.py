"""The stubs and py.typed work: `mypy --strict` accepts the example and rejects misuse, and
`stubtest` finds the stubs faithful to the built module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import compcode
import pytest

pytest.importorskip("mypy")

CRATE = Path(__file__).resolve().parents[1]


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *args],
        cwd=CRATE,
        capture_output=True,
        text=True,
        check=False,
    )


def test_package_is_marked_typed() -> None:
    pkg = Path(compcode.__file__).parent
    assert (pkg / "py.typed").is_file() and (pkg / "_compcode.pyi").is_file()


def test_mypy_strict_accepts_the_example() -> None:
    r = mypy("examples/quickstart.py")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_rejects_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "misuse.py"
    bad.write_text(
        "import compcode\n"
        "out = compcode.simulate({})\n"
        "total: str = out['totalCommission']\n"
        "out['nope']\n"
        "ok: bool = compcode.validate({})['valid']\n"
        "try:\n"
        "    compcode.run('simulate', {})\n"
        "except compcode.ValidationError as e:\n"
        "    code: int = e.code\n",
        encoding="utf-8",
    )
    r = mypy(str(bad))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert any(":3: error:" in line and '"Decimal"' in line for line in lines), r.stdout
    assert any(":4: error:" in line and "nope" in line for line in lines), r.stdout
    assert any(":9: error:" in line and '"str"' in line for line in lines), r.stdout
    assert len(lines) == 3, r.stdout


def test_mypy_strict_accepts_the_sqlite3_store() -> None:
    r = mypy("examples/sqlite3_repository.py")
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_rejects_orchestrator_misuse(tmp_path: Path) -> None:
    bad = tmp_path / "misuse_orchestrator.py"
    bad.write_text(
        "import compcode\n"
        "o = compcode.Orchestrator(compcode.MemoryRepository())\n"
        "run = o.upsert_deal({}, at='2026-01-01')\n"
        "n: str = run['eventsWritten']\n"
        "o.upsert_rep({}, '2026-01-01')\n"
        "compcode.Orchestrator(object())\n"
        "amount: str = o.events(at='2026-01-01')[0]['amount']\n"
        "ok: bool = run['statementLocked']\n",
        encoding="utf-8",
    )
    r = mypy(str(bad))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if ": error:" in line]
    assert {line.split(":")[1] for line in lines} == {"4", "5", "6", "7"}, r.stdout  # line 8 is right


@pytest.mark.skipif(
    sys.version_info < (3, 10), reason="stubtest on 3.9 misreads typing.Any / TypedDict imported by _types.py"
)
def test_stubtest_finds_the_stubs_faithful() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "compcode"],
        cwd=CRATE,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
