"""Start a real simulator server in a subprocess (for tests and benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(world: str | Path, *args: str, env: dict[str, str] | None = None,
                   startup_seconds: float = 60.0) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:PORT``) of a server over ``world``; stop it after."""
    port = free_port()
    cmd = [sys.executable, "-m", "source_simulator.servers", "--world", str(world), "--port", str(port), *args]
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"sim-server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"simulator server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/_sim/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"simulator server did not answer in {startup_seconds}s; log {log}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)
