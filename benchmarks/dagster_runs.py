"""A Dagster job run as the nightly schedule runs it, timed step by step.

The schedule's runs are launched by the daemon: the run coordinator (QueuedRunCoordinator,
infra/dagster/dagster.yaml) hands the run to the instance's run launcher (DefaultRunLauncher),
which asks the code location's gRPC server to start it; the server spawns a run worker process
that loads the code location and executes the job with the job's own executor. Our jobs keep Dagster's
default, `multi_or_in_process_executor`, whose default is multiprocess: every step (each
extraction asset, each Great Expectations check, the freshness check, the dbt build, each
forecast asset) in a process of its own, started with `spawn`, at most `cpu_count()` steps at a
time. `dagster job execute -m orchestration.definitions -j <job>` runs the same executor in the
same kind of run worker (one process that loads the code and executes the job), so that is what
is timed here. `make run` uses `execute_in_process` instead: the steps one after another in one
process, without the per-step process start-up.

Figures per run:
- wall time of the run worker process, from its start to its exit (loading the code location
  included, as the daemon's launched run pays it too), and the run's own RUN_START -> RUN_END;
- per step, from the run's event log: `seconds` = STEP_START -> STEP_SUCCESS/STEP_FAILURE (the
  step's own work), `worker_s` = STEP_WORKER_STARTING -> STEP_START (the step process starting
  and loading the code location: the multiprocess executor's price); checks are steps like
  assets (an `@asset_check` is an op of its own; dbt tests are checks inside the dbt step);
- the peak RSS of the process tree: the run worker and all its descendants (step processes,
  dbt, extractor pools), summed, sampled from /proc every 0.5 s. PostgreSQL's server processes
  are not in the tree and not counted (the SQL of dbt and of the checks runs there), nor is the
  simulator serving the sources.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE_YAML = ROOT / "infra" / "dagster" / "dagster.yaml"
CODE_LOCATION = "orchestration.definitions"

# event types as the event log stores them (DagsterEventType values; a run's start and end
# keep their historical PIPELINE_* names)
WORKER_STARTING = "STEP_WORKER_STARTING"
STEP_START = "STEP_START"
STEP_END = {"STEP_SUCCESS": "success", "STEP_FAILURE": "failure", "STEP_SKIPPED": "skipped"}
RUN_START = "PIPELINE_START"
RUN_END = {"PIPELINE_SUCCESS": "success", "PIPELINE_FAILURE": "failure", "PIPELINE_CANCELED": "canceled"}
MATERIALIZATION_PLANNED = "ASSET_MATERIALIZATION_PLANNED"
CHECK_PLANNED = "ASSET_CHECK_EVALUATION_PLANNED"
CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"


# ------------------------------------------------------------------ process tree RSS
def _ppid_map(proc: Path) -> dict[int, int]:
    """pid -> parent pid of every process in `proc` (a /proc-like directory)."""
    parents: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rindex(")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def tree_pids(root: int, proc: Path = Path("/proc")) -> list[int]:
    """`root` and all its descendants alive now."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _ppid_map(proc).items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss_bytes(root: int, proc: Path = Path("/proc")) -> tuple[int, int]:
    """(summed resident set size of `root` and its descendants, how many processes).

    A sum over processes counts pages they share twice; the step processes are spawned, not
    forked, so they share little beyond the interpreter's own files."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = count = 0
    for pid in tree_pids(root, proc):
        try:
            resident = int((proc / str(pid) / "statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident * page
        count += 1
    return total, count


@dataclass
class TreeRssSampler:
    """Samples `tree_rss_bytes(root)` every `interval` seconds in a thread, keeps the peak."""

    root: int
    interval: float = 0.5
    proc: Path = Path("/proc")
    peak_bytes: int = 0
    peak_processes: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def sample(self) -> None:
        total, count = tree_rss_bytes(self.root, self.proc)
        self.samples += 1
        if total > self.peak_bytes:
            self.peak_bytes = total
        self.peak_processes = max(self.peak_processes, count)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeRssSampler:
        self._thread = threading.Thread(target=self._loop, name="tree-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mb(self) -> float:
        return round(self.peak_bytes / 2**20, 1)


# ------------------------------------------------------------------ the run's event log
@dataclass(frozen=True)
class Event:
    """What the timings need of one event-log entry."""

    ts: float
    step: str | None
    type: str | None
    check: str | None = None
    passed: bool | None = None
    seconds: float | None = None  # a check evaluation's own `seconds` metadata (the GX suites')


def events_of(entries: Iterable[Any]) -> Iterator[Event]:
    """Events from Dagster's `EventLogEntry` objects (`instance.all_logs(run_id)`)."""
    for entry in entries:
        de = entry.dagster_event
        data = de.event_specific_data if de is not None else None
        yield Event(
            ts=entry.timestamp,
            step=entry.step_key,
            type=de.event_type_value if de is not None else None,
            check=getattr(data, "check_name", None),
            passed=getattr(data, "passed", None) if de is not None and de.event_type_value == CHECK_EVALUATION else None,
            seconds=_seconds_metadata(data) if de is not None and de.event_type_value == CHECK_EVALUATION else None,
        )


def _seconds_metadata(data: Any) -> float | None:
    value = (getattr(data, "metadata", None) or {}).get("seconds")
    value = getattr(value, "value", value)
    return float(value) if isinstance(value, int | float) else None


def is_gx_check(name: str) -> bool:
    """A Great Expectations check, by the name the sources area gives them (`gx_...`)."""
    lowered = name.lower()
    return lowered.startswith("gx") or "great_expectations" in lowered


def step_timings(events: Iterable[Event]) -> list[dict[str, Any]]:
    """Per step: status, kind, seconds (STEP_START -> end), worker_s (STEP_WORKER_STARTING ->
    STEP_START), attempts, checks evaluated / failed; in the order the steps started.

    kind: `asset` for a step that materialises assets (its checks, e.g. dbt tests, included),
    `gx` for a step that only evaluates Great Expectations checks, `check` for other
    check-only steps (freshness, forecast accuracy)."""
    steps: dict[str, dict[str, Any]] = {}
    for e in sorted(events, key=lambda e: e.ts):
        if e.step is None:
            continue
        s = steps.setdefault(e.step, {"step": e.step, "materializes": False, "checks_planned": set(),
                                      "worker_at": None, "start_at": None, "end_at": None, "status": None,
                                      "attempts": 0, "checks": 0, "checks_failed": 0, "gx_s": 0.0})
        if e.type == MATERIALIZATION_PLANNED:
            s["materializes"] = True
        elif e.type == CHECK_PLANNED and e.check:
            s["checks_planned"].add(e.check)
        elif e.type == WORKER_STARTING and s["worker_at"] is None:
            s["worker_at"] = e.ts
        elif e.type == STEP_START:
            s["attempts"] += 1
            if s["start_at"] is None:
                s["start_at"] = e.ts
        elif e.type in STEP_END:
            s["end_at"], s["status"] = e.ts, STEP_END[e.type]
        elif e.type == CHECK_EVALUATION:
            s["checks"] += 1
            s["checks_failed"] += e.passed is False
            if e.check and is_gx_check(e.check) and e.seconds is not None:
                s["gx_s"] += e.seconds
    out = []
    for s in steps.values():
        if s["start_at"] is None and s["status"] is None:
            continue  # planned, never started (the run stopped before it)
        if s["materializes"]:
            kind = "asset"
        elif s["checks_planned"] and all(is_gx_check(c) for c in s["checks_planned"]):
            kind = "gx"
        else:
            kind = "check"
        start, end = s["start_at"], s["end_at"]
        out.append({
            "step": s["step"],
            "kind": kind,
            "status": s["status"] or "unfinished",
            "seconds": round(end - start, 2) if start is not None and end is not None else None,
            "worker_s": round(start - s["worker_at"], 2) if start is not None and s["worker_at"] is not None else None,
            "attempts": s["attempts"],
            "checks": s["checks"],
            "checks_failed": s["checks_failed"],
            # Great Expectations time inside the step (a source asset runs its suite after its load)
            "gx_s": round(s["gx_s"], 2),
            "_start": start if start is not None else end,
        })
    out.sort(key=lambda s: s["_start"])
    for s in out:
        del s["_start"]
    return out


def run_span(events: Iterable[Event]) -> tuple[float | None, str]:
    """(RUN_START -> run end in seconds, the run's end status) from the run's events."""
    start = end = None
    status = "unfinished"
    for e in events:
        if e.step is None and e.type == RUN_START:
            start = e.ts
        elif e.step is None and e.type in RUN_END:
            end, status = e.ts, RUN_END[e.type]
    return (round(end - start, 2) if start is not None and end is not None else None), status


def summarise(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Sums over a run's steps; the steps overlap (up to cpu_count at a time), so these are
    work, not wall time."""
    def total(kind: str | None = None) -> float:
        return round(sum(s["seconds"] or 0 for s in steps if kind is None or s["kind"] == kind), 2)

    return {
        "steps_sum_s": total(),
        # check-only GX steps, plus the suites run inside their asset's step
        "gx_s": round(total("gx") + sum(s.get("gx_s", 0.0) for s in steps if s["kind"] != "gx"), 2),
        "gx_steps": sum(s["kind"] == "gx" for s in steps),
        "worker_start_sum_s": round(sum(s["worker_s"] or 0 for s in steps), 2),
        "failed_steps": [s["step"] for s in steps if s["status"] != "success"],
    }


def top_steps(steps: list[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    return sorted((s for s in steps if s["seconds"] is not None), key=lambda s: -s["seconds"])[:n]


# ------------------------------------------------------------------ running a job
def fresh_home(path: Path) -> Path:
    """An empty Dagster instance directory with the project's instance settings."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    shutil.copy2(INSTANCE_YAML, path / "dagster.yaml")
    return path


def read_run(home: Path, job: str) -> tuple[str, list[Event]]:
    """The latest run of `job` in the instance at `home`: its id and events."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(job_name=job), limit=1)
        if not runs:
            return "", []
        run_id = runs[0].run_id
        return run_id, list(events_of(instance.all_logs(run_id)))


def stop_group(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM to the run's process group (the run worker and its steps), SIGKILL after `grace`."""
    import signal

    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_job(job: str, env: Mapping[str, str], home: Path, log: Path, dagster_bin: Path) -> dict[str, Any]:
    """`dagster job execute` of `job` on the instance at `home`: wall time, peak RSS of the
    process tree, the run's per-step timings. The run's own output goes to `log`."""
    cmd = [str(dagster_bin), "job", "execute", "-m", CODE_LOCATION, "-j", job]
    print(f"[bench] {job} (Dagster, multiprocess executor): {' '.join(cmd[1:])} ...", flush=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("wb") as out:
        # a session of its own, so that an interrupted bench can stop the run and its steps
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env, "DAGSTER_HOME": str(home)},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            with TreeRssSampler(proc.pid) as sampler:
                returncode = proc.wait()
        except BaseException:
            stop_group(proc)
            raise
    seconds = time.perf_counter() - started
    run_id, events = read_run(home, job)
    run_s, status = run_span(events)
    steps = step_timings(events)
    return {
        "job": job,
        "run_id": run_id,
        "status": status,
        "returncode": returncode,
        "seconds": round(seconds, 2),
        "run_s": run_s,
        "peak_rss_mb": sampler.peak_mb,
        "peak_processes": sampler.peak_processes,
        "rss_samples": sampler.samples,
        **summarise(steps),
        "steps": steps,
        "log": str(log.relative_to(ROOT)) if log.is_relative_to(ROOT) else str(log),
    }
