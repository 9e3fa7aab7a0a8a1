"""DagBag import test: the DAG parses without errors, with the wiring the design card fixes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow")
    os.environ.setdefault("AIRFLOW_HOME", str(home))
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO / "dags"))


def test_dags_import_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == {"seizure_pipeline", "seizure_intake_watch"}


def test_seizure_pipeline_wiring(dagbag):
    from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

    dag = dagbag.dags["seizure_pipeline"]
    assert dag.schedule is None or str(dag.timetable.summary) in ("None",)
    assert dag.catchup is False
    assert "casefile" in dag.tags
    assert set(dag.params.keys()) >= {"case_id", "seizure_id", "evidence"}
    order = ["intake", "normalize", "deduplicate", "export"]
    assert sorted(t.task_id for t in dag.tasks) == sorted(order)
    for upstream, downstream in zip(order, order[1:]):
        assert dag.get_task(downstream).upstream_task_ids == {upstream}
    for task in dag.tasks:
        assert isinstance(task, SparkSubmitOperator)
        assert task.application.endswith(f"jobs/{task.task_id}/job.py")
        assert Path(task.application).is_file()
        assert task._conn_id == "spark_default"


def test_intake_watch_wiring(dagbag):
    """The watch runs on a schedule, one run at a time, and triggers the pipeline with a run id of
    its own (so Airflow's unique run ids make a second trigger of a seizure a skip, not a run)."""
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    dag = dagbag.dags["seizure_intake_watch"]
    assert dag.catchup is False and dag.max_active_runs == 1 and "casefile" in dag.tags
    assert dag.schedule is not None
    trigger = dag.get_task("trigger_pipeline")
    assert trigger.operator_class is TriggerDagRunOperator or isinstance(trigger, TriggerDagRunOperator)
    assert trigger.partial_kwargs["trigger_dag_id"] == "seizure_pipeline"
    assert trigger.partial_kwargs["skip_when_already_exists"] is True
    assert dag.get_task("find_ready_seizures").downstream_task_ids == {"trigger_pipeline", "record_triggered"}
    assert dag.get_task("record_triggered").trigger_rule == "none_failed"


def test_dag_file_parses_quickly_without_heavy_imports():
    import subprocess
    import sys

    code = ("import sys, time; t=time.time(); import runpy; runpy.run_path(sys.argv[1]); "
            "print(time.time()-t); print(int(any(m.startswith(('pyspark', 'great_expectations')) for m in sys.modules)))")
    for dag_file in ("seizure_pipeline.py", "seizure_intake_watch.py"):
        out = subprocess.run([sys.executable, "-c", code, str(REPO / "dags" / dag_file)], capture_output=True, text=True, check=True).stdout.split()
        assert out[-1] == "0", f"{dag_file} imported pyspark or great_expectations at parse time"
