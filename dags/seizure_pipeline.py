"""seizure_pipeline: one seizure from evidence to a validated case file.

intake → normalize → deduplicate → export, each a Spark application (SparkSubmitOperator on the
``spark_default`` connection: ``local[*]`` by default, ``spark://host:7077`` on a cluster). Wiring
only: no data is read and nothing heavy is imported when the file is parsed. Started by
``casefile run`` or, for seizures uploaded with a READY marker, by ``seizure_intake_watch``; a
published case file is an event of the ``casefiles`` asset.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import DAG, Asset, Param

from jobs.orchestration.operators import EVIDENCE, REFERENCE_DATE, RUN_ARGS, StageSparkSubmitOperator

with DAG(
    dag_id="seizure_pipeline",
    description="Seized personal-information data → deduplicated, validated case file",
    schedule=None,
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=4,
    tags=["casefile", "evidence"],
    default_args={"retries": int(os.environ.get("CASEFILE_STAGE_RETRIES", "0")), "retry_delay": dt.timedelta(minutes=2)},
    params={
        "case_id": Param(type="string", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", description="case id, e.g. HG-2019-0412"),
        "seizure_id": Param(type="string", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", description="seizure id within the case"),
        "evidence": Param("", type="string", description="folder of seized files to register; empty when already in the evidence store"),
        "seizure_date": Param("", type="string", description="YYYY-MM-DD; birth dates after it are untrue (default: the run's date)"),
        "report_language": Param("", enum=["", "zh-CN", "en"],
                                 description="language of the case file's pages, workbook and guide (empty: report.language of the configuration)"),
    },
    doc_md=__doc__,
) as dag:
    # application_args are templates, rendered per run: case, seizure, Airflow's run id, stage options.
    intake = StageSparkSubmitOperator(task_id="intake", stage="intake", application_args=[*RUN_ARGS, "--evidence", EVIDENCE])
    normalize = StageSparkSubmitOperator(task_id="normalize", stage="normalize",
                                         application_args=[*RUN_ARGS, "--reference-date", REFERENCE_DATE])
    deduplicate = StageSparkSubmitOperator(task_id="deduplicate", stage="deduplicate", application_args=[*RUN_ARGS])
    export = StageSparkSubmitOperator(task_id="export", stage="export",
                                      application_args=[*RUN_ARGS, "--report-language", "{{ params.get('report_language') or '' }}"],
                                      outlets=[Asset(name="casefiles", uri="casefile://casefiles/")])
    intake >> normalize >> deduplicate >> export
