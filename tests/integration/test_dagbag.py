"""DagBag import test: the DAG parses without errors, with the wiring the design card fixes."""

from __future__ import annotations

import os
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


def _rendered_args(dag, task_id: str, *, seizure_date: str = "", evidence: str = "", logical_date=None, **params) -> list[str]:
    """``application_args`` of a task as Airflow renders them for a run (on a copy of the task)."""
    import copy
    import datetime as dt
    from types import SimpleNamespace

    task = copy.deepcopy(dag.get_task(task_id))
    run_after = dt.datetime(2026, 3, 9, 17, 30, tzinfo=dt.timezone.utc)
    context = {"params": {"case_id": "HG-2019-0412", "seizure_id": "S01", "evidence": evidence, "seizure_date": seizure_date, **params},
               "run_id": "manual__2026-01-01T00:00:00+00:00", "logical_date": logical_date,
               "dag_run": SimpleNamespace(run_after=run_after)}
    task.render_template_fields(context, jinja_env=dag.get_template_env())
    return task.application_args


def test_stage_arguments_are_templates_rendered_per_run(dagbag):
    """The stage's arguments come from the run (params, Airflow's run id, logical date), rendered by
    Airflow from the templated ``application_args``; the operator does not set them in ``execute``."""
    import datetime as dt

    from jobs.orchestration.operators import StageSparkSubmitOperator

    dag = dagbag.dags["seizure_pipeline"]
    run = ["--case", "HG-2019-0412", "--seizure", "S01", "--run-id", "manual__2026-01-01T00:00:00+00:00"]
    day = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert _rendered_args(dag, "intake", evidence="/srv/seized/S01", logical_date=day) == [*run, "--evidence", "/srv/seized/S01"]
    assert _rendered_args(dag, "intake", logical_date=day) == [*run, "--evidence", ""]
    # The reference date: the seizure date when given, else the logical date, else run_after.
    assert _rendered_args(dag, "normalize", seizure_date="2019-04-12", logical_date=day) == [*run, "--reference-date", "2019-04-12"]
    assert _rendered_args(dag, "normalize", logical_date=day) == [*run, "--reference-date", "2026-01-01"]
    assert _rendered_args(dag, "normalize") == [*run, "--reference-date", "2026-03-09"]
    assert _rendered_args(dag, "deduplicate", logical_date=day) == run
    # The report language: casefile run --lang (param report_language); empty or absent: report.language.
    assert _rendered_args(dag, "export", logical_date=day) == [*run, "--report-language", ""]
    assert _rendered_args(dag, "export", logical_date=day, report_language="en") == [*run, "--report-language", "en"]
    for task in dag.tasks:
        assert "application_args" in task.template_fields
        assert task.conf["spark.pyspark.python"] and task.conf["spark.pyspark.driver.python"]
        # execute is the skip-if-committed check and the provider's execute, nothing else.
        assert "application_args" not in StageSparkSubmitOperator.execute.__code__.co_names
        assert "conf" not in StageSparkSubmitOperator.execute.__code__.co_names


def test_the_package_zip_and_its_root_go_through_the_operator(monkeypatch, tmp_path):
    """With ``CASEFILE_PY_FILES``, spark-submit gets the zip and ``CASEFILE_REPO_ROOT`` through
    ``env_vars`` (templated), not through this process's environment."""
    import os as _os

    from jobs.common.config import REPO_ROOT
    from jobs.orchestration.operators import RUN_ARGS, StageSparkSubmitOperator

    monkeypatch.setenv("CASEFILE_PY_FILES", str(tmp_path / "casefile-jobs.zip"))
    monkeypatch.delenv("CASEFILE_REPO_ROOT", raising=False)
    op = StageSparkSubmitOperator(task_id="export", stage="export", application_args=[*RUN_ARGS])
    assert op.py_files == str(tmp_path / "casefile-jobs.zip")
    assert op.env_vars == {"CASEFILE_REPO_ROOT": str(REPO_ROOT)}
    assert "CASEFILE_REPO_ROOT" not in _os.environ
    assert "env_vars" in op.template_fields


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
