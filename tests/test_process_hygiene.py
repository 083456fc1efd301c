"""The make targets start only what is theirs: `make run` with configured sources starts no
simulator, and a service whose port another process answers on is not taken for ours."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def planned(target: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in ("HELPDESK_URL", "SCHEDULE_URL", "ONEC_URL", "REGISTRY_PATH")}
    return subprocess.run(["make", "-n", target], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          check=True).stdout


def test_make_run_starts_the_simulator_only_without_configured_sources():
    assert "-m source_simulator.servers" in planned("run")
    assert "source_simulator.servers" not in planned("run", HELPDESK_URL="https://company.okdesk.ru")


def test_a_port_answered_by_another_process_is_named_not_used(tmp_path: Path):
    port = free_port()
    other = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        done = subprocess.run(
            [str(ROOT / "infra/services.sh"), "start", "hygiene-test", f"http://127.0.0.1:{port}/", "--", "sleep", "60"],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert f"http://127.0.0.1:{port}/ already answers" in done.stderr, done.stderr
        assert "the port is taken" in done.stderr
        assert not (ROOT / ".local/run/hygiene-test.pid").exists(), "a pid file of a service that never started"
    finally:
        other.terminate()
        other.wait(timeout=10)
