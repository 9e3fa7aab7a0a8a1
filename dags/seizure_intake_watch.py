"""seizure_intake_watch: start ``seizure_pipeline`` once for every seizure that is ready.

Every ``CASEFILE_WATCH_INTERVAL_SECONDS`` (default 300) it lists the READY markers in the evidence
store (``evidence/_ready/<case>/<seizure>/READY``, written by the uploader after the last file) and
triggers ``seizure_pipeline`` for each seizure not seen before, with the run id
``intake_watch__<case>~<seizure>``: Airflow keeps run ids unique, so a seizure is never started
twice, even when a watch run is retried or the scheduler restarts (the trigger is then skipped).
A record in the work store (``intake_watch.json``) then keeps later watch runs from trying again.

Why not Airflow Assets for the hand-over: asset events queued while a consumer runs are merged into
one run, so two seizures could become one run, and an asset cannot carry a per-run id. The
pipeline's export task does emit the ``casefiles`` asset for consumers of published case files.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="seizure_intake_watch",
    description="Trigger seizure_pipeline once per seizure whose READY marker is in the evidence store",
    schedule=dt.timedelta(seconds=int(os.environ.get("CASEFILE_WATCH_INTERVAL_SECONDS", "300"))),
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["casefile", "intake"],
    default_args={"retries": 2, "retry_delay": dt.timedelta(seconds=30)},
    doc_md=__doc__,
) as dag:

    @task
    def find_ready_seizures() -> list[dict]:
        """Ready seizures not yet started (ids and conf only, never evidence content)."""
        from jobs.orchestration.operators import export_storage_connection
        from jobs.orchestration.watch import ready_seizures

        export_storage_connection()
        return ready_seizures()

    @task(trigger_rule="none_failed")
    def record_triggered(ready: list[dict], dag_run=None) -> int:
        """Record the started runs so that later watch runs skip them."""
        from jobs.orchestration.operators import export_storage_connection
        from jobs.orchestration.watch import record_triggered as record

        export_storage_connection()
        return record(ready, dag_run.run_after.isoformat())

    ready = find_ready_seizures()
    trigger = TriggerDagRunOperator.partial(
        task_id="trigger_pipeline",
        trigger_dag_id="seizure_pipeline",
        logical_date=None,
        skip_when_already_exists=True,
        wait_for_completion=False,
        openlineage_inject_parent_info=False,
    ).expand_kwargs(ready)
    trigger >> record_triggered(ready)
