"""Airflow side of casefile: the operator that runs one stage as its own Spark application.

Imported by the DAG file at parse time, so it imports nothing heavy (no pyspark, no GX, no
``jobs.engine``): only the Spark provider's operator and casefile's light configuration, paths,
custody and storage modules.

A stage task behaves like a database transaction: if its output is already committed for this
run (a rerun after a later stage failed, or Airflow "clear" of a downstream task), it returns
without starting Spark; otherwise it runs ``spark-submit jobs/<stage>/job.py`` and the job commits
its output atomically at the end.

The stage's arguments are Airflow templates (``application_args`` is a templated field of
``SparkSubmitOperator``): they are rendered from the run's params, run id and logical date before
``execute``, and shown as rendered in the task's "Rendered Template" view.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # jobs/

#: Arguments of every stage: the case, the seizure and Airflow's run id (the run's key in storage).
RUN_ARGS: tuple[str, ...] = ("--case", "{{ params.case_id }}", "--seizure", "{{ params.seizure_id }}", "--run-id", "{{ run_id }}")

#: The date a birth date may not be after: the seizure date if given, else the run's logical date
#: (or its ``run_after`` when the run has no logical date). Never the wall clock.
REFERENCE_DATE = "{{ params.seizure_date or (logical_date or dag_run.run_after).strftime('%Y-%m-%d') }}"

#: The folder of seized files intake registers (the ``evidence`` param; empty: already in the store).
EVIDENCE = "{{ params.evidence or '' }}"


def stage_application(stage: str) -> str:
    """Path of the stage's Spark application (``jobs/<stage>/job.py``)."""
    return str(PACKAGE_DIR / stage / "job.py")


def export_storage_connection() -> None:
    """Make the Airflow connection ``casefile_minio`` visible to this task and its children.

    With ``CASEFILE_STORAGE=minio`` and no credentials in the environment (``MINIO_ACCESS_KEY``/
    ``MINIO_SECRET_KEY`` or ``AIRFLOW_CONN_CASEFILE_MINIO``), the connection is looked up through
    Airflow (metadata DB or secrets backend) and put into this task process's environment as
    ``AIRFLOW_CONN_CASEFILE_MINIO``: the storage module of this process reads its credentials from
    the environment, and ``spark-submit`` and the stage applications inherit it. It is not passed as
    a templated field (``env_vars``), whose rendered value Airflow stores and shows. The value is
    never logged. Does nothing outside a task or when the connection does not exist.
    """
    from jobs.common.config import load_config

    if load_config().storage_backend != "minio":
        return
    if (os.environ.get("MINIO_ACCESS_KEY") and os.environ.get("MINIO_SECRET_KEY")) or os.environ.get("AIRFLOW_CONN_CASEFILE_MINIO"):
        return
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection("casefile_minio")
    except Exception:  # noqa: BLE001 - AirflowNotFoundException or no task context: storage reports what is missing
        return
    os.environ["AIRFLOW_CONN_CASEFILE_MINIO"] = conn.as_json()


class StageSparkSubmitOperator(SparkSubmitOperator):
    """``SparkSubmitOperator`` for one casefile stage, skipping stages already committed in this run.

    Everything it submits is fixed when the DAG is parsed: the application, its templated
    arguments, the Spark settings of the configured profile, the Python interpreter of driver and
    executors, and with ``CASEFILE_PY_FILES`` the package zip plus ``CASEFILE_REPO_ROOT`` in the
    environment of spark-submit (``env_vars``; the driver imports ``jobs`` from the zip and finds
    ``configs/`` and ``expectations/`` there).

    Args:
        stage: ``intake``, ``normalize``, ``deduplicate`` or ``export``.
        **kwargs: passed to ``SparkSubmitOperator``: ``application_args`` (templated; the DAG gives
            :data:`RUN_ARGS` plus the stage's options); ``conn_id`` defaults to ``spark_default``;
            ``conf`` and ``env_vars`` are merged over casefile's.
    """

    def __init__(self, *, stage: str, **kwargs: Any) -> None:
        from jobs.common.config import REPO_ROOT, load_config

        python = os.environ.get("CASEFILE_SPARK_PYTHON", sys.executable)
        kwargs.setdefault("conn_id", "spark_default")
        kwargs.setdefault("name", f"casefile-{stage}")
        kwargs["conf"] = {**load_config().spark_conf, "spark.pyspark.python": python, "spark.pyspark.driver.python": python,
                          **(kwargs.get("conf") or {})}
        if py_files := os.environ.get("CASEFILE_PY_FILES"):
            kwargs.setdefault("py_files", py_files)
            kwargs["env_vars"] = {"CASEFILE_REPO_ROOT": str(REPO_ROOT), **(kwargs.get("env_vars") or {})}
        super().__init__(application=stage_application(stage), **kwargs)
        self.stage = stage

    def execute(self, context: Any) -> None:
        from jobs.common import paths
        from jobs.common.config import load_config
        from jobs.common.custody import is_committed
        from jobs.common.storage import get_storage

        params = context["params"]
        export_storage_connection()
        ctx = paths.RunContext(params["case_id"], params["seizure_id"], context["run_id"])
        if is_committed(get_storage(load_config()), ctx, self.stage):
            self.log.info("stage %s already committed for run %s: not started again", self.stage, ctx.run_id)
            return None
        return super().execute(context)
