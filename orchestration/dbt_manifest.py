"""The dbt manifest the Dagster definitions read: `dbt parse` into dbt_project/target.

`make dbt-parse` prepares it; `python -m orchestration.dbt_manifest` does the same only when a
model, macro or YAML file is newer than the manifest (what the test session runs first). The
definitions never parse, except under `dagster dev` (orchestration/defs/dbt.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import warehouse

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = ROOT / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# the dbt of this interpreter's environment (the venv), whether or not it is on PATH
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


def prepare_manifest(manifest: Path = MANIFEST) -> Path:
    """`dbt parse` (what `make dbt-parse` does; no database), written to a private target
    directory and moved into target/manifest.json in one step, so a process loading the
    definitions at the same moment never reads half a manifest."""
    env = {**os.environ, **warehouse.dbt_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    target = manifest.parent
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as private:
        partial = target / "partial_parse.msgpack"  # dbt's parse cache: reuse it, keep it
        if partial.exists():
            shutil.copy2(partial, Path(private) / partial.name)
        done = subprocess.run(
            [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", private],
            env=env, capture_output=True, text=True, check=False,
        )
        parsed = Path(private) / "manifest.json"
        if done.returncode != 0 or not parsed.exists():
            raise RuntimeError(f"dbt parse failed in {DBT_PROJECT_DIR}:\n{done.stdout}\n{done.stderr}")
        os.replace(parsed, manifest)
        if (Path(private) / partial.name).exists():
            os.replace(Path(private) / partial.name, partial)
    return manifest


def manifest_is_stale(manifest: Path = MANIFEST) -> bool:
    """No manifest, or a model/macro/YAML file newer than it."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", *DBT_PROJECT_DIR.joinpath("models").rglob("*"),
               *DBT_PROJECT_DIR.joinpath("macros").rglob("*")]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


if __name__ == "__main__":
    if manifest_is_stale():
        print(f"dbt parse -> {prepare_manifest()}")
