"""The run id ``casefile run`` records is the one Airflow gives the run, and the client computes it
without importing Airflow (slow, and importing it configures logging and creates AIRFLOW_HOME)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from jobs.orchestration.embedded import manual_run_id

#: Logical dates as ``casefile run`` gets them: the default (now, UTC, seconds) and explicit ones.
LOGICAL_DATES = ["2026-01-01T00:00:00+00:00", "2026-03-15T08:30:05+08:00", "2025-12-31T23:59:59.123456+00:00"]


def test_manual_run_id_is_airflows(tmp_path):
    # What DAG.test (jobs.orchestration.embedded.run_dag) names the run: run_after == logical date.
    code = (
        "import datetime as dt, json, sys\n"
        "from airflow.models.dagrun import DagRun\n"
        "from airflow.utils.types import DagRunType\n"
        "out = []\n"
        "for s in json.loads(sys.argv[1]):\n"
        "    d = dt.datetime.fromisoformat(s)\n"
        "    out.append(DagRun.generate_run_id(run_type=DagRunType.MANUAL, logical_date=d, run_after=d))\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(LOGICAL_DATES)], env=env, capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [manual_run_id(s) for s in LOGICAL_DATES]


def test_client_does_not_import_airflow():
    code = "import sys, jobs.cli; print(int(any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "0", "importing jobs.cli imported Airflow"
