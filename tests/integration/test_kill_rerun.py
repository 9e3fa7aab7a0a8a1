"""The kill test (issue 13, "Make it stay fixed"): SIGKILL a stage's driver mid-write, rerun the
stage, and the bundle's data files are byte-identical to those of an uninterrupted run; the
deduplicate stage's committed datasets hold the same rows with the same schema (see
:func:`_dataset_rows` for why those Parquet files cannot be compared as bytes).

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
uninterrupted run, computed here with hashlib, and run A's rows read back with pyarrow.
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

# Part of `make test` (and CI); `make test-kill` runs it alone. 5 min on an idle machine.
pytestmark = [pytest.mark.slow]

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


def _dataset_rows(folder: Path) -> dict[str, tuple[str, list[str]]]:
    """Per dataset of a committed stage: its Arrow schema (with Spark's metadata) and its rows as a
    sorted list of canonical JSON strings, read with pyarrow (not Spark).

    Rows, not bytes: parquet-java writes each column chunk's encodings from a ``HashSet`` of enum
    constants, whose order follows identity hash codes and so changes from one JVM to the next
    (apache/parquet-java#3215, open): two processes writing the same rows in the same order give
    footers that differ in those bytes alone. Row order inside the work store is not part of the
    contract either (export sorts every CSV of the bundle); the bundle files are compared as bytes."""
    import json

    import pyarrow.parquet as pq

    out: dict[str, tuple[str, list[str]]] = {}
    for dataset in sorted({p.parent for p in folder.glob("*/*.parquet")}):
        table = pq.read_table(dataset)
        rows = sorted(json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in table.to_pylist())
        out[dataset.name] = (table.schema.to_string(show_schema_metadata=True), rows)
    return out


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
    dedup_a = _dataset_rows(work_a / "deduplicate" / "data")
    dedup_b = _dataset_rows(work_b / "deduplicate" / "data")
    assert set(dedup_a) == {"unique_records", "duplicate_links"} and all(rows for _, rows in dedup_a.values())
    for name in dedup_a:  # per dataset, so a failure names it without printing record values
        assert dedup_b[name][0] == dedup_a[name][0], f"{name}: schema differs after the kill and rerun"
        assert dedup_b[name][1] == dedup_a[name][1], f"{name}: rows differ after the kill and rerun"
    # Nothing half-written is left: no attempt folders, no temporary files.
    leftovers = [p for p in home_b.rglob("*") if p.name.endswith(".attempt") or p.name == "_attempt" or ".tmp-" in p.name]
    assert leftovers == []
