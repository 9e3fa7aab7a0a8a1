"""The kill test (issue 13, "Make it stay fixed"): SIGKILL a stage's driver mid-write, rerun the
stage, and the data files are byte-identical to those of an uninterrupted run.

Each stage runs as the DAG runs it, ``spark-submit jobs/<stage>/job.py`` (dags/seizure_pipeline.py),
on a small generated seizure (two text items of the synthetic generator, ~370 rows). Intake and
normalize run once; their committed output is copied into a second home, so both homes hold the
same run id and the same inputs. Home A runs deduplicate and export uninterrupted. In home B:

- deduplicate is killed when the first file appears in its attempt folder (``<stage>/_attempt``,
  jobs.common.custody.begin_stage), i.e. while it writes;
- export is killed between the bundle's move and the ``latest`` pointer (jobs.export.bundle.publish):
  the driver's temporary file for ``latest`` (jobs.common.storage.local.LocalStorage.write_bytes,
  ``.latest.tmp-<pid>``) is made a FIFO beforehand, so the driver blocks opening it right after the
  move; the test sees the published folder and ``latest`` still absent, and kills the process group.

The expected values are not the code's: they are the SHA-256 of the files of run A, the
uninterrupted run, computed here with hashlib.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jobs.common.config import REPO_ROOT
from jobs.common.paths import run_key

# Opt-in (`make test-kill`): about 25 min under load, and its last check still fails: deduplicate's
# Parquet part files differ in SHA-256 from the uninterrupted run's although their rows, the rows'
# order and the rows per part file are equal (run of 2026-12-03, docs/worklog/2026-12-03/hostile3.md),
# while every CSV of the bundle is byte-identical. So the difference is in the files' bytes beyond the
# values (footer metadata or encoding); on failure the message now names the footer fields that differ.
pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("CASEFILE_KILL_TEST") != "1",
                                                   reason="opt-in: make test-kill (CASEFILE_KILL_TEST=1)")]

CASE, SEIZURE, RUN_ID = "KILL-2026-0001", "S01", "manual__2026-01-01T00:00:00+00:00"
RUN = run_key(RUN_ID)
SPARK_SUBMIT = Path(sys.executable).with_name("spark-submit")
#: Bundle files that carry data (the manifest and pages name the run and the code; they are
#: compared only through these files' hashes, which the manifest records).
BUNDLE_DATA = ("records.csv", "duplicates.csv", "quarantine.csv", "evidence_items.csv", "summary.json")
STAGE_TIMEOUT = 900


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CASEFILE_", "PYSPARK"))}
    env.update(CASEFILE_HOME=str(home), CASEFILE_SPARK_MASTER="local[2]", PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable, PYARROW_IGNORE_TIMEZONE="1")
    return env


def _submit(stage: str, home: Path, *extra: str) -> subprocess.Popen:
    cmd = ["nice", "-n", "10", str(SPARK_SUBMIT), "--master", "local[2]", "--conf", f"spark.pyspark.python={sys.executable}",
           "--conf", f"spark.pyspark.driver.python={sys.executable}", str(REPO_ROOT / "jobs" / stage / "job.py"),
           "--case", CASE, "--seizure", SEIZURE, "--run-id", RUN_ID, *extra]
    log = open(home / f"{stage}.{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - closed when the process ends
    # Its own session: the kill reaches spark-submit, the JVM and the Python driver together.
    return subprocess.Popen(cmd, env=_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _run(stage: str, home: Path, *extra: str) -> None:
    proc = _submit(stage, home, *extra)
    rc = proc.wait(timeout=STAGE_TIMEOUT)
    if rc != 0:
        logs = sorted(home.glob(f"{stage}.*.log"))
        raise AssertionError(f"{stage} exited {rc}:\n{logs[-1].read_text(errors='replace')[-3000:]}")


def _kill_when(proc: subprocess.Popen, seen, what: str) -> None:
    """SIGKILL ``proc``'s process group as soon as ``seen()`` is true; fail if the stage ends first."""
    deadline = time.monotonic() + STAGE_TIMEOUT
    while not seen():
        if proc.poll() is not None:
            pytest.fail(f"the stage ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL


def _driver_pid(session: int, script: str) -> int | None:
    """The Python driver of a spark-submit session: the python process whose argv runs ``script``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if os.getsid(int(entry.name)) == session and Path(os.fsdecode(argv[0])).name.startswith("python") \
                    and any(a.endswith(script.encode()) for a in argv):
                return int(entry.name)
        except (OSError, IndexError):
            continue
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dataset_digests(folder: Path) -> dict[str, list[str]]:
    """Per dataset of a committed stage: the sorted SHA-256 of its data files. Spark's part names
    carry a random job id, so names are not compared; contents are."""
    out: dict[str, list[str]] = {}
    for f in sorted(folder.rglob("*")):
        if f.is_file() and not f.name.startswith((".", "_")):
            out.setdefault(str(f.parent.relative_to(folder)), []).append(_sha256(f))
    return {k: sorted(v) for k, v in out.items()}


def _parquet_difference(a: Path, b: Path) -> str:
    """Why two committed dataset folders differ: the rows themselves, or only their layout."""
    import pyarrow.parquet as pq

    lines = []
    datasets = lambda d: {p.parent.name for p in d.glob("*/*.parquet")}  # noqa: E731
    for name in sorted(datasets(a) | datasets(b)):
        ta, tb = pq.read_table(a / name), pq.read_table(b / name)
        key = lambda r: r["record_id"]  # noqa: E731 - record_id is unique in both datasets
        same_rows = sorted(ta.to_pylist(), key=key) == sorted(tb.to_pylist(), key=key)
        same_order = ta.to_pylist() == tb.to_pylist()
        files = [[pq.ParquetFile(f).metadata.num_rows for f in sorted((d / name).glob("*.parquet"))] for d in (a, b)]
        lines.append(f"{name}: rows equal as sets={same_rows}, same order={same_order}, rows per part file {files[0]} vs {files[1]}")
        # The first differing part file: which footer fields differ, and where its bytes first differ.
        for fa, fb in zip(sorted((a / name).glob("*.parquet")), sorted((b / name).glob("*.parquet"))):
            da, db = fa.read_bytes(), fb.read_bytes()
            if da == db:
                continue
            ma, mb = pq.ParquetFile(fa).metadata, pq.ParquetFile(fb).metadata
            ka, kb = ma.metadata or {}, mb.metadata or {}
            keys = sorted(k.decode(errors="replace") for k in set(ka) | set(kb) if ka.get(k) != kb.get(k))
            first = next((i for i in range(min(len(da), len(db))) if da[i] != db[i]), min(len(da), len(db)))
            lines.append(f"  {fa.name}: {len(da)} vs {len(db)} bytes, first difference at byte {first}, footer at "
                         f"{len(da) - ma.serialized_size - 8}; created_by {ma.created_by!r} vs {mb.created_by!r}; "
                         f"differing key-value metadata: {keys}")
            break
    return "; ".join(lines)


@pytest.fixture(scope="module")
def small_seizure(tmp_path_factory) -> Path:
    from jobs.synth import generate_seizure

    gen = tmp_path_factory.mktemp("synth")
    generate_seizure(gen, records=1000, seed=11)
    evidence = tmp_path_factory.mktemp("evidence")
    for name in ("住宿登记_2019.csv", "三要素.txt"):
        shutil.copyfile(gen / "evidence" / name, evidence / name)
    return evidence


@pytest.mark.skipif(not SPARK_SUBMIT.exists(), reason="spark-submit of the project's pyspark is not installed")
def test_sigkill_mid_write_then_rerun_gives_byte_identical_data(small_seizure, tmp_path):
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    home_a.mkdir()
    _run("intake", home_a, "--evidence", str(small_seizure))
    _run("normalize", home_a, "--reference-date", "2026-01-01")
    shutil.copytree(home_a, home_b, symlinks=True)

    # A: uninterrupted.
    _run("deduplicate", home_a)
    _run("export", home_a)

    # B: deduplicate killed while it writes its attempt.
    work_b = home_b / "work" / CASE / SEIZURE / RUN
    attempt = work_b / "deduplicate" / "_attempt"
    proc = _submit("deduplicate", home_b)
    _kill_when(proc, lambda: attempt.is_dir() and any(p.is_file() for p in attempt.rglob("*")), "a file in deduplicate/_attempt")
    assert not (work_b / "deduplicate" / "_COMMITTED.json").exists()
    _run("deduplicate", home_b)

    # B: export killed after the bundle's move, before `latest`.
    seizure_b = home_b / "casefiles" / CASE / SEIZURE
    proc = _submit("export", home_b)
    state: dict[str, int] = {}

    def blocked_after_move() -> bool:
        if "pid" not in state and (pid := _driver_pid(proc.pid, "jobs/export/job.py")) is not None:
            state["pid"] = pid
            seizure_b.mkdir(parents=True, exist_ok=True)
            os.mkfifo(seizure_b / f".latest.tmp-{pid}")  # the driver blocks opening it for writing
        return "pid" in state and (seizure_b / RUN / "SHA256SUMS").is_file()

    _kill_when(proc, blocked_after_move, "the bundle's move")
    assert not (seizure_b / "latest").exists()
    (seizure_b / f".latest.tmp-{state['pid']}").unlink()
    _run("export", home_b)

    seizure_a = home_a / "casefiles" / CASE / SEIZURE
    assert (seizure_b / "latest").read_bytes() == (seizure_a / "latest").read_bytes() == f"{RUN}\n".encode()
    assert {f: _sha256(seizure_b / RUN / f) for f in BUNDLE_DATA} == {f: _sha256(seizure_a / RUN / f) for f in BUNDLE_DATA}
    work_a = home_a / "work" / CASE / SEIZURE / RUN
    dedup_a = _dataset_digests(work_a / "deduplicate" / "data")
    dedup_b = _dataset_digests(work_b / "deduplicate" / "data")
    assert dedup_a and dedup_b == dedup_a, _parquet_difference(work_a / "deduplicate" / "data", work_b / "deduplicate" / "data")
    # Nothing half-written is left: no attempt folders, no temporary files.
    leftovers = [p for p in home_b.rglob("*") if p.name.endswith(".attempt") or p.name == "_attempt" or ".tmp-" in p.name]
    assert leftovers == []
