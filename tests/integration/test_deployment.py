"""The deployment path, as far as this machine allows (no Docker): the S3-compatible server on
loopback as the object store, a Spark standalone master and one worker started from the pyspark
package, and Airflow's own scheduler, dag-processor and api-server (LocalExecutor) on PostgreSQL, as in
docker-compose.yml. The object store is SeaweedFS's S3 gateway (``weed mini``) with object lock on the
evidence bucket, and the metadata database a PostgreSQL cluster from the Debian packages, both started
on loopback by the session fixtures (tests/integration/conftest.py); Airflow reaches PostgreSQL with
the pinned psycopg2 driver (and asyncpg in the api-server).

- The scheduled ``seizure_intake_watch`` sees an uploaded seizure once its READY marker exists and
  starts exactly one ``seizure_pipeline`` run, which succeeds; a scheduler restart does not start it
  again; a second seizure starts exactly one more.
- Those runs execute on the standalone cluster (our package shipped as ``--py-files``) and stage
  through local disk against the object store; the data files of the bundle have the same SHA-256
  as the bundle of the same seizure processed with ``local[*]`` and the local-folder store.
- ``casefile status``/``rerun``/``pull`` work against the deployment (REST API, casefiles bucket).
- Airflow's state is in PostgreSQL (read back with psycopg2, not through Airflow), and the uploaded
  originals are under COMPLIANCE retention on the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from s3support import free_port, wait_for_port

# The whole deployment on loopback (scheduler + dag-processor + api-server, Spark standalone, S3
# server) is the slowest test of `make test`; `make test-deployment` runs it alone.
pytestmark = [pytest.mark.slow, pytest.mark.deployment]

REPO = Path(__file__).resolve().parents[2]
CASE = "E2E-2026-0001"  # the reference run's case: summary.json names it
DATA_FILES = ["records.csv", "duplicates.csv", "quarantine.csv", "evidence_items.csv", "summary.json"]
USER = "casefile"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CASEFILE_", "MINIO_", "SPARK_", "PYSPARK_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["GX_ANALYTICS_ENABLED"] = "False"
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def casefile(env: dict[str, str], *args: str, check: bool = True, timeout: float = 1500) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"casefile {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


class Processes:
    """Long-running children in their own process groups, with their logs in files."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            self.stop(name)

    def tail(self, name: str, n: int = 4000) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-n:]


def http_json(url: str, timeout: float = 10):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def wait_until(what: str, predicate, timeout: float, poll: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached after {timeout:.0f}s")
        time.sleep(poll)


@pytest.fixture(scope="module")
def baseline(reference_run):
    """The same seizure as the cluster run, processed in embedded mode (local[*], local folder):
    the reference run of tests/conftest.py, shared with the end-to-end test."""
    return {"sample": reference_run["sample"], "bundle": reference_run["bundle"]}


@pytest.fixture(scope="module")
def deployment(s3_server, postgres_server, tmp_path_factory):
    """Spark master + worker and Airflow scheduler, dag-processor and api-server on loopback."""
    root = tmp_path_factory.mktemp("deployment")
    logs = root / "logs"
    logs.mkdir()
    procs = Processes(logs)
    try:
        yield from _start_deployment(procs, root, s3_server, postgres_server)
    finally:
        procs.stop_all()


def _start_deployment(procs: Processes, root: Path, s3_server, postgres_server):
    import pyspark

    from jobs.cli.admin import build_package_zip

    spark_home = str(Path(pyspark.__file__).parent)
    spark_class = str(Path(spark_home) / "bin" / "spark-class")
    master_port, master_ui, worker_ui, api_port = free_port(), free_port(), free_port(), free_port()
    master = f"spark://127.0.0.1:{master_port}"
    base = {**clean_env(), "SPARK_HOME": spark_home}
    procs.start("spark-master", [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                 "--port", str(master_port), "--webui-port", str(master_ui)], base)
    worker_dir = root / "spark-worker"
    procs.start("spark-worker", [spark_class, "org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1",
                                 "--cores", "2", "--memory", "3g", "--work-dir", str(worker_dir), "--webui-port", str(worker_ui)], base)

    password = secrets.token_urlsafe(16)
    (root / "passwords.json").write_text(json.dumps({USER: password}))
    airflow_home = root / "airflow"
    env = {
        **base, **s3_server.env(),
        "CASEFILE_HOME": str(root / "home"), "CASEFILE_SCRATCH": str(root / "scratch"),
        "CASEFILE_SPARK_MASTER": master, "CASEFILE_SPARK_PROFILE": "cluster",
        # the cluster profile on a 2-core test machine: fewer shuffle partitions (still not local's 8)
        "CASEFILE_SPARK_CONF": json.dumps({"spark.sql.shuffle.partitions": "16", "spark.executor.memory": "2g"}),
        "CASEFILE_PY_FILES": str(build_package_zip(root / "dist" / "casefile-jobs.zip")),
        "CASEFILE_WATCH_INTERVAL_SECONDS": "30",
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": postgres_server.url,
        "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": "spark://127.0.0.1", "port": master_port}),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(root / "passwords.json"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "60",  # tasks killed with the old scheduler
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    casefile(env, "storage-init")
    procs.start("api-server", [airflow, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"], env)
    procs.start("dag-processor", [airflow, "dag-processor"], env)
    procs.start("scheduler", [airflow, "scheduler"], env)
    wait_for_port(api_port, timeout=180)
    wait_until("spark worker registered", lambda: http_json(f"http://127.0.0.1:{master_ui}/json/")["aliveworkers"] >= 1, 120, 2)
    cli_env = {**env, "CASEFILE_AIRFLOW_URL": f"http://127.0.0.1:{api_port}",
               "CASEFILE_AIRFLOW_USERNAME": USER, "CASEFILE_AIRFLOW_PASSWORD": password}
    yield {"env": env, "cli_env": cli_env, "procs": procs, "airflow": airflow, "master_ui": master_ui,
           "worker_dir": worker_dir, "root": root, "db_url": postgres_server.url}


def upload_seizure(storage, case_id: str, seizure_id: str, evidence: Path, seizure_date: str) -> None:
    """What an uploader does: every file of the seizure, then the READY marker, last."""
    from jobs.common import paths

    for file in sorted(p for p in evidence.rglob("*") if p.is_file()):
        storage.put_file("evidence", f"{paths.evidence_prefix(case_id, seizure_id)}/{file.relative_to(evidence).as_posix()}", file, write_once=True)
    storage.write_bytes("evidence", paths.ready_marker(case_id, seizure_id), json.dumps({"seizure_date": seizure_date}).encode())


# Export failed on the cluster path on 2026-12-02 (the package zip lacked jobs/export/catalog.yaml);
# fixed in build_package_zip and guarded by tests/integration/test_package_zip.py; this test then
# passed on a clean clone (CI preview of c4ec819).
def test_watch_triggers_one_run_per_seizure_on_the_cluster(baseline, deployment, s3_server, tmp_path):
    from jobs.common import paths
    from jobs.common.config import load_config
    from jobs.common.storage import minio_storage
    from jobs.orchestration.rest import AirflowApi
    from jobs.synth import generate_seizure

    env, cli_env, procs = deployment["env"], deployment["cli_env"], deployment["procs"]
    api = AirflowApi(cli_env["CASEFILE_AIRFLOW_URL"], USER, cli_env["CASEFILE_AIRFLOW_PASSWORD"])
    os.environ.update(s3_server.env())
    try:
        storage = minio_storage(load_config())
    finally:
        for key in s3_server.env():
            os.environ.pop(key, None)

    def pipeline_runs() -> dict[str, str]:
        try:
            return {r["dag_run_id"]: r["state"] for r in api.runs("seizure_pipeline")}
        except Exception:  # noqa: BLE001 - the DAG may not be parsed yet
            return {}

    def watch_runs_done(since: str) -> int:
        try:
            return api.count_runs("seizure_intake_watch", state="success", start_date_gte=since)
        except Exception:  # noqa: BLE001
            return 0

    def finished(run_id: str):
        def check():
            state = pipeline_runs().get(run_id)
            if state == "failed":
                raise AssertionError(f"{run_id} failed:\n{procs.tail('scheduler')}")
            return state == "success"
        return check

    # a half-uploaded seizure (no READY marker) is never started
    upload_half = baseline["sample"] / "evidence"
    first = sorted(p for p in upload_half.rglob("*") if p.is_file())[0]
    storage.put_file("evidence", f"{paths.evidence_prefix(CASE, 'S00')}/{first.name}", first, write_once=True)

    upload_seizure(storage, CASE, "S01", baseline["sample"] / "evidence", "2026-01-01")
    run1 = paths.watch_run_id(CASE, "S01")
    wait_until("seizure S01 processed", finished(run1), timeout=1800, poll=10)
    assert set(pipeline_runs()) == {run1}

    # restart the scheduler; the watch keeps running and does not start S01 again
    procs.stop("scheduler")
    restarted = dt.datetime.now(dt.timezone.utc).isoformat()
    procs.start("scheduler", [deployment["airflow"], "scheduler"], env)
    wait_until("two watch runs after the restart", lambda: watch_runs_done(restarted) >= 2, timeout=600, poll=5)
    assert set(pipeline_runs()) == {run1}

    # a second seizure: exactly one more run
    small = tmp_path / "small"
    generate_seizure(small, records=1000, seed=12)
    upload_seizure(storage, CASE, "S02", small / "evidence", "2026-01-01")
    run2 = paths.watch_run_id(CASE, "S02")
    wait_until("seizure S02 processed", finished(run2), timeout=1200, poll=10)
    s02_done = dt.datetime.now(dt.timezone.utc).isoformat()
    wait_until("a watch run after S02 finished", lambda: watch_runs_done(s02_done) >= 1, timeout=300, poll=5)
    assert set(pipeline_runs()) == {run1, run2}
    assert pipeline_runs()[run1] == "success" and pipeline_runs()[run2] == "success"
    assert not storage.exists("work", paths.watch_record(CASE, "S00"))

    # the cluster bundle (pulled from the casefiles bucket, verified) equals the local[*] bundle
    pulled = tmp_path / "pulled"
    out = casefile(env, "pull", "--case", CASE, "--seizure", "S01", "--dest", str(pulled)).stdout
    assert "(verified)" in out
    for name in DATA_FILES:
        assert sha256(pulled / name) == sha256(baseline["bundle"] / name), name

    # the stages ran as applications of the standalone cluster, with our package shipped to the executors
    apps = http_json(f"http://127.0.0.1:{deployment['master_ui']}/json/")["completedapps"]
    assert sum(a["name"].startswith("casefile-") for a in apps) == 8
    assert list(deployment["worker_dir"].glob("app-*/*/casefile-jobs.zip"))

    # casefile against the deployment: status through the REST API, rerun clears a failed task
    status = casefile(cli_env, "status", "--case", CASE, "--seizure", "S02").stdout
    assert f"run {run2}" in status and ": success" in status and "export       committed  (task success)" in status
    ti = f"/dags/seizure_pipeline/dagRuns/{run2}/taskInstances/export"
    api._call("PATCH", ti, json={"new_state": "failed"})
    assert api.run("seizure_pipeline", run2)["state"] in ("failed", "success")
    rerun = casefile(cli_env, "rerun", "--case", CASE, "--seizure", "S02")
    assert "clearing export and its downstream tasks" in rerun.stdout
    assert f"dag run {run2}: success" in rerun.stdout
    assert set(pipeline_runs()) == {run1, run2}

    # Airflow's metadata is in PostgreSQL: read back with psycopg2 itself, not through Airflow
    import psycopg2
    from sqlalchemy.engine import make_url

    url = make_url(deployment["db_url"])
    with psycopg2.connect(host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database) as db:
        with db.cursor() as cur:
            cur.execute("SELECT run_id, state FROM dag_run WHERE dag_id = %s ORDER BY run_id", ("seizure_pipeline",))
            assert cur.fetchall() == sorted([(run1, "success"), (run2, "success")])
            cur.execute("SELECT count(*) FROM task_instance WHERE dag_id = %s AND run_id = %s AND state = 'success'",
                        ("seizure_pipeline", run1))
            assert cur.fetchone()[0] >= 4
    db.close()

    # the originals uploaded to the evidence bucket are retained (COMPLIANCE) by the server
    key = f"{paths.evidence_prefix(CASE, 'S01')}/{first.relative_to(upload_half).as_posix()}"
    st = storage.client.stat_object(storage.buckets["evidence"], key)
    assert st.metadata["x-amz-object-lock-mode"] == "COMPLIANCE"
