"""The command line: what `make simulator-data` and the other parts call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "source_simulator", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def test_truth_and_workbook_commands(tiny_world: Path, tiny_truth: Path, tmp_path: Path):
    done = _run("truth", "--world", str(tiny_world), "--out", str(tmp_path / "truth"))
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "truth").iterdir())
    assert "hd_issues.csv" in files and "registry_expected_rejects.csv" in files and "NOW" in files
    for name in files:   # the command writes what the fixture (Python API) wrote
        assert (tmp_path / "truth" / name).read_bytes() == (tiny_truth / name).read_bytes(), name
    assert (tmp_path / "truth" / "NOW").read_text().strip() == "2026-10-31T21:00:00.000Z"

    later = _run("truth", "--world", str(tiny_world), "--out", str(tmp_path / "later"),
                 "--now", "2026-11-10T12:00:00+03:00")
    assert later.returncode == 0, later.stderr
    assert (tmp_path / "later" / "NOW").read_text().strip() == "2026-11-10T09:00:00.000Z"

    book = _run("workbook", "--world", str(tiny_world), "--out", str(tmp_path / "registry.xlsx"))
    assert book.returncode == 0, book.stderr
    assert load_workbook(tmp_path / "registry.xlsx").sheetnames == ["Объекты", "Оборудование"]


def test_bad_arguments_are_named(tmp_path: Path):
    bad_end = _run("generate", "--profile", "tiny", "--end", "01.11.2026", "--out", str(tmp_path))
    assert bad_end.returncode != 0 and "--end" in bad_end.stderr
    missing = _run("truth", "--world", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path / "t"))
    assert missing.returncode != 0 and "nope.sqlite" in missing.stderr
    assert not (tmp_path / "world.sqlite").exists()
