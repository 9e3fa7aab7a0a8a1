"""Airflow side of casefile: the operator that runs one stage as its own Spark application.

Imported by the DAG file at parse time, so it imports nothing heavy (no pyspark, no GX): only
the Spark provider's operator and casefile's configuration/paths/storage modules.

A stage task behaves like a database transaction: if its output is already committed for this
run (a rerun after a later stage failed, or Airflow "clear" of a downstream task), it returns
without starting Spark; otherwise it runs ``spark-submit jobs/<stage>/job.py`` and the job commits
its output atomically at the end.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # jobs/


def stage_application(stage: str) -> str:
    """Path of the stage's Spark application (``jobs/<stage>/job.py``)."""
    return str(PACKAGE_DIR / stage / "job.py")


def reference_date(params: dict[str, Any], context: dict[str, Any]) -> str:
    """The date a birth date may not be after: the seizure date if given, else the run's logical
    date (or its ``run_after`` when the run has no logical date). Never the wall clock."""
    if params.get("seizure_date"):
        return str(params["seizure_date"])
    moment = context.get("logical_date") or context["dag_run"].run_after
    return moment.strftime("%Y-%m-%d")


def export_storage_connection() -> None:
    """Make the Airflow connection ``casefile_minio`` visible to this task's children.

    With ``CASEFILE_STORAGE=minio`` and no credentials in the environment (``MINIO_ACCESS_KEY``/
    ``MINIO_SECRET_KEY`` or ``AIRFLOW_CONN_CASEFILE_MINIO``), the connection is looked up through
    Airflow (metadata DB or secrets backend) and put into this task process's environment as
    ``AIRFLOW_CONN_CASEFILE_MINIO``, which ``spark-submit`` and the stage applications inherit. The
    value is never logged. Does nothing outside a task or when the connection does not exist.
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

    Args:
        stage: ``intake``, ``normalize``, ``deduplicate`` or ``export``.
        **kwargs: passed to ``SparkSubmitOperator`` (``conn_id`` defaults to ``spark_default``).
    """

    def __init__(self, *, stage: str, **kwargs: Any) -> None:
        kwargs.setdefault("conn_id", "spark_default")
        kwargs.setdefault("name", f"casefile-{stage}")
        super().__init__(application=stage_application(stage), **kwargs)
        self.stage = stage

    def execute(self, context: Any) -> None:
        from jobs.common import paths
        from jobs.common.config import load_config
        from jobs.common.custody import is_committed
        from jobs.common.storage import get_storage

        params = context["params"]
        export_storage_connection()
        config = load_config()
        ctx = paths.RunContext(params["case_id"], params["seizure_id"], context["run_id"])
        if is_committed(get_storage(config), ctx, self.stage):
            self.log.info("stage %s already committed for run %s: not started again", self.stage, ctx.run_id)
            return None
        args = ["--case", ctx.case_id, "--seizure", ctx.seizure_id, "--run-id", ctx.run_id]
        if self.stage == "intake":
            args += ["--evidence", params.get("evidence") or ""]
        if self.stage == "normalize":
            args += ["--reference-date", reference_date(params, context)]
        self.application_args = args
        python = os.environ.get("CASEFILE_SPARK_PYTHON", sys.executable)
        self.conf = {**config.spark_conf, "spark.pyspark.python": python, "spark.pyspark.driver.python": python, **(self.conf or {})}
        if py_files := os.environ.get("CASEFILE_PY_FILES"):
            from jobs.common.config import REPO_ROOT

            self.py_files = py_files
            # The driver imports jobs from the zip too: tell it where configs/ and expectations/ are.
            os.environ.setdefault("CASEFILE_REPO_ROOT", str(REPO_ROOT))
        return super().execute(context)
