"""Same seed -> byte-identical truth; another seed -> another world."""

from __future__ import annotations

from pathlib import Path

from source_simulator.generator import generate
from source_simulator.truth import truth_frames, write_truth


def _truth_bytes(world: Path, out: Path, now: str | None = None) -> dict[str, bytes]:
    write_truth(world, out, now)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_gives_byte_identical_truth(tiny_world: Path, tmp_path: Path):
    again = generate("tiny", out=tmp_path / "again").path
    first = _truth_bytes(tiny_world, tmp_path / "t1")
    second = _truth_bytes(again, tmp_path / "t2")
    assert first.keys() == second.keys()
    assert len(first) >= 21
    for name in first:
        assert first[name] == second[name], name


def test_another_seed_gives_another_world(tiny_world: Path, tmp_path: Path):
    other = generate("tiny", seed=7, out=tmp_path / "other").path
    a = _truth_bytes(tiny_world, tmp_path / "a")
    b = _truth_bytes(other, tmp_path / "b")
    assert a["hd_issues.csv"] != b["hd_issues.csv"]
    assert a["onec_bonus_coefficients.csv"] == b["onec_bonus_coefficients.csv"]  # same price lists


def test_truth_moves_with_the_clock(tiny_world: Path):
    now = truth_frames(tiny_world)
    later = truth_frames(tiny_world, "2026-11-15T00:00:00+03:00")
    assert len(later["hd_issues"]) > len(now["hd_issues"])
    assert all(r["created_at"] < "2026-10-31T21:00:00.000Z" for r in now["hd_issues"])
    earlier = truth_frames(tiny_world, "2026-09-15T00:00:00Z")
    assert len(earlier["hd_issues"]) < len(now["hd_issues"])


def test_another_process_writes_the_same_truth(tiny_truth: Path, tmp_path: Path):
    """Nothing depends on the interpreter's hash seed (set order, dict of strings ...)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    for args in (["generate", "--profile", "tiny", "--out", str(tmp_path / "w")],
                 ["truth", "--world", str(tmp_path / "w" / "world.sqlite"), "--out", str(tmp_path / "t")]):
        done = subprocess.run([sys.executable, "-m", "source_simulator", *args], env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
    for path in sorted(tiny_truth.iterdir()):
        assert (tmp_path / "t" / path.name).read_bytes() == path.read_bytes(), path.name
