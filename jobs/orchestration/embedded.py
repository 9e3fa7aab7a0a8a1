"""Embedded mode: run ``seizure_pipeline`` once, in-process, with Airflow's own ``DAG.test``.

``airflow dags test`` derives the run id from the wall clock, so a rerun of the same logical date
would get a new run id and lose the committed stages. This runner passes ``run_after`` equal to
the logical date, so the run id is ``manual__<logical date>`` every time (:func:`manual_run_id`):
a rerun clears the task instances of that run (Airflow's own clear), recreates it under the same
id, and the stages whose output is already committed return at once. Used by ``casefile run`` and
``casefile rerun`` (as ``python -m jobs.orchestration.embedded`` in the environment
:func:`airflow_env` gives); the scheduler deployment does not need it.

Airflow is imported inside :func:`run_dag` only: the ``casefile`` client imports this module for
:func:`airflow_env` and :func:`manual_run_id` and must not import Airflow (slow, and it configures
logging and creates ``AIRFLOW_HOME`` as a side effect).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from jobs.common.config import REPO_ROOT, casefile_home, load_config


def airflow_env() -> dict[str, str]:
    """Environment for Airflow processes in embedded mode (SQLite metadata under CASEFILE_HOME)."""
    config = load_config()
    home = casefile_home()
    env = dict(os.environ)
    env.setdefault("CASEFILE_HOME", str(home))
    env.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
    master = config.spark_master
    if master.startswith("spark://") and master.count(":") == 2:
        host, port = master.rsplit(":", 1)
        conn = {"conn_type": "spark", "host": host, "port": int(port)}
    else:
        conn = {"conn_type": "spark", "host": master}
    env.setdefault("AIRFLOW_CONN_SPARK_DEFAULT", json.dumps(conn))
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def manual_run_id(logical_date: str) -> str:
    """The run id Airflow gives a manual run whose ``run_after`` equals its logical date.

    Airflow's rule (``DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=d,
    run_after=d)``, which ``DAG.test`` in :func:`run_dag` and the REST trigger use):
    ``DagRunType.MANUAL.generate_run_id(suffix=run_after.isoformat())``, i.e.
    ``manual__<run_after.isoformat()>``. Written out here rather than called, because the client
    must not import Airflow (see the module docstring); ``tests/integration/test_run_id.py`` checks
    it against Airflow's own function.

    Args:
        logical_date: ISO 8601 date-time, as given to ``casefile run --logical-date``.
    """
    return f"manual__{dt.datetime.fromisoformat(logical_date).isoformat()}"


def run_dag(dag_id: str, logical_date: dt.datetime, conf: dict) -> str:
    """Run the DAG for ``logical_date`` with ``conf``; return the final DagRun state."""
    from airflow.utils.providers_configuration_loader import providers_configuration_loaded

    return providers_configuration_loaded(_run_dag)(dag_id, logical_date, conf)


def _run_dag(dag_id: str, logical_date: dt.datetime, conf: dict) -> str:
    from airflow.utils.cli import get_bagged_dag

    dag = get_bagged_dag(bundle_names=None, dag_id=dag_id)
    dr = dag.test(run_after=logical_date, logical_date=logical_date, run_conf=conf)
    return str(dr.state) if dr else "failed"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="casefile-airflow-runner")
    p.add_argument("--dag-id", default="seizure_pipeline")
    p.add_argument("--logical-date", required=True)
    p.add_argument("--conf", required=True)
    args = p.parse_args(argv)
    logical_date = dt.datetime.fromisoformat(args.logical_date)
    if logical_date.tzinfo is None:
        logical_date = logical_date.replace(tzinfo=dt.timezone.utc)
    state = run_dag(args.dag_id, logical_date, json.loads(args.conf))
    sys.stderr.write(f"casefile-airflow-runner: dag run state {state}\n")
    return 0 if state.endswith("success") else 1


if __name__ == "__main__":
    raise SystemExit(main())
