"""Shared fixtures: one session-scoped local SparkSession for every Spark test (as splink does)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
#: Every JVM the tests start as a stage (spark-submit of jobs/<stage>/job.py, under Airflow or not, and
#: the deployment's Spark standalone) runs seconds on a few thousand rows: there the C2 compiler's
#: threads cost more CPU than its code gains. C1 only cut normalize's CPU from 135 to 99 and from 130 to
#: 98 CPU-s on a 1,000-record seizure (two A/B pairs, 2026-12-03, bench/results/test_jvm_c1_2026-12-03.json).
#: The JIT changes speed, never results. The shared SparkSession below is long-lived and keeps C2.
JVM_TEST_OPTIONS = "-XX:TieredStopAtLevel=1"
os.environ.setdefault("JAVA_TOOL_OPTIONS", JVM_TEST_OPTIONS)


@pytest.fixture(scope="session")
def spark():
    from jobs.engine.session import get_spark

    # 3 GB driver heap: one JVM serves every Spark test of the session, and with Spark's default 1 GB
    # it ran out of heap three-quarters through the unit tier (clean-clone CI, 2026-12-03).
    tool_options = os.environ.pop("JAVA_TOOL_OPTIONS", None)  # this JVM serves the whole session: C2 pays
    try:
        session = get_spark("casefile-tests", master="local[2]", conf={"spark.sql.shuffle.partitions": "2", "spark.driver.memory": "3g"})
    finally:
        if tool_options is not None:
            os.environ["JAVA_TOOL_OPTIONS"] = tool_options
    yield session
    session.stop()


#: The reference seizure of the end-to-end and deployment tests: generated once per session and run
#: once through the DAG in embedded mode (local[*], local-folder store); the deployment test checks
#: that the cluster's bundle of the same seizure has the same bytes.
REFERENCE_CASE, REFERENCE_SEIZURE, REFERENCE_DATE = "E2E-2026-0001", "S01", "2026-01-01T00:00:00+00:00"


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory):
    """``home``, ``env``, ``sample`` (generator output: 3,000 records, seed 11), ``truth``
    (ground_truth.json), ``proc`` (the completed ``casefile run --ground-truth``) and ``bundle``."""
    import json
    import subprocess
    import sys

    from jobs.common.paths import run_key

    home = tmp_path_factory.mktemp("casefile_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CASEFILE_"))}
    env.update(CASEFILE_HOME=str(home), AIRFLOW_HOME=str(home / "airflow"))
    sample = home / "sample"

    def casefile(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "jobs.cli", *args], env=env, capture_output=True, text=True, timeout=1500)
        if proc.returncode != 0:
            raise AssertionError(f"casefile {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    casefile("synth", "--out", str(sample), "--records", "3000", "--seed", "11")
    proc = casefile("run", "--case", REFERENCE_CASE, "--seizure", REFERENCE_SEIZURE, "--evidence", str(sample / "evidence"),
                    "--logical-date", REFERENCE_DATE, "--seizure-date", "2026-01-01", "--ground-truth", str(sample / "ground_truth.json"))
    return {"home": home, "env": env, "sample": sample, "proc": proc,
            "truth": json.loads((sample / "ground_truth.json").read_text(encoding="utf-8")),
            "bundle": home / "casefiles" / REFERENCE_CASE / REFERENCE_SEIZURE / run_key(f"manual__{REFERENCE_DATE}")}


#: Session fixtures that start something expensive once (a DAG run, a server), and the modules whose
#: tests use them: under pytest-xdist (``make test``: ``-n 2``) those modules run on one worker, in
#: collection order, so each fixture starts once per run and the reference run is mutated last.
SHARED_ONCE = frozenset({"reference_run", "s3_server", "postgres_server"})
SHARED_MODULES = frozenset({
    "tests/e2e/test_export_people.py", "tests/e2e/test_pipeline_dag.py", "tests/e2e/test_report_browser.py",
    "tests/e2e/test_review_browser.py", "tests/integration/test_deployment.py", "tests/integration/test_storage.py",
    "tests/integration/test_watch.py",
})


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's load-by-scope scheduler with :data:`SHARED_MODULES` as one scope and every other
    module its own (module fixtures made once). Not ``--dist loadgroup``: its groups ride on a
    node-id suffix that pytest 9 no longer carries (measured: a module's tests ran on both workers)."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedOnceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "shared" if module in SHARED_MODULES else module

    return SharedOnceScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``mutates_reference`` change the shared ``reference_run`` (review decisions applied
    and its bundle recomputed): run them after every test that compares against that bundle.

    Raises:
        pytest.UsageError: a test uses a :data:`SHARED_ONCE` fixture outside :data:`SHARED_MODULES`
            (it would start that fixture a second time on the other worker).
    """
    stray = sorted({item.nodeid.split("::", 1)[0] for item in items if SHARED_ONCE.intersection(item.fixturenames)} - SHARED_MODULES)
    if stray:
        raise pytest.UsageError(f"tests/conftest.py SHARED_MODULES must list {', '.join(stray)} (its tests use {', '.join(sorted(SHARED_ONCE))})")
    items.sort(key=lambda item: item.get_closest_marker("mutates_reference") is not None)
