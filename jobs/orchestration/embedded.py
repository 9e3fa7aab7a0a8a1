"""Run ``seizure_pipeline`` once, in-process, with Airflow's own ``DAG.test`` (embedded mode).

``airflow dags test`` derives the run id from the wall clock, so a rerun of the same logical date
would get a new run id and lose the committed stages. This runner passes ``run_after`` equal to
the logical date, so the run id is ``manual__<logical date>`` every time: a rerun clears the task
instances of that run (Airflow's own clear), recreates it under the same id, and the stages whose
output is already committed return at once. Used by ``casefile run`` and ``casefile rerun``; the
scheduler deployment does not need it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from airflow.utils.providers_configuration_loader import providers_configuration_loaded


@providers_configuration_loaded
def run_dag(dag_id: str, logical_date: dt.datetime, conf: dict) -> str:
    """Run the DAG for ``logical_date`` with ``conf``; return the final DagRun state."""
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
    print(f"casefile-airflow-runner: dag run state {state}", file=sys.stderr)
    return 0 if state.endswith("success") else 1


if __name__ == "__main__":
    raise SystemExit(main())
