"""``casefile run | rerun | status``: one seizure through the ``seizure_pipeline`` DAG.

Embedded mode runs the DAG in a subprocess (:mod:`jobs.orchestration.embedded`) and shows its
progress lines; against a deployment (``CASEFILE_AIRFLOW_URL``) the evidence is uploaded to the
evidence store and the run is triggered, watched and cleared through Airflow's REST API
(:mod:`jobs.orchestration.rest`). Both end with the same report of the published case file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from jobs.cli.admin import cmd_airflow_init, open_storage
from jobs.cli.console import print_summary, progress_line
from jobs.common import paths
from jobs.common.config import casefile_home
from jobs.evaluation.acceptance import compare_ground_truth, compare_linkage_truth
from jobs.orchestration.embedded import airflow_env, manual_run_id
from jobs.orchestration.rest import airflow_url

DAG_ID = "seizure_pipeline"


def _dispatch(logical_date: str, conf: dict, log_path: Path) -> int:
    """Run the DAG in-process through Airflow; stream its log to ``log_path``, show casefile lines."""
    env = airflow_env()
    cmd_airflow_init(argparse.Namespace())
    log_path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "jobs.orchestration.embedded", "--logical-date", logical_date, "--conf", json.dumps(conf, ensure_ascii=False)]
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            shown = progress_line(line)
            if shown:
                print("  " + shown, flush=True)
        return proc.wait()


def _report(case_id: str, seizure_id: str, run_id: str, ground_truth: str | None) -> int:
    storage = open_storage()
    ctx = paths.RunContext(case_id, seizure_id, run_id)
    from jobs.common.custody import is_committed

    states = {s: is_committed(storage, ctx, s) for s in paths.STAGES}
    if not states["export"]:
        failed = next(s for s in paths.STAGES if not states[s])
        print(f"casefile: run {run_id} did not complete: stage {failed!r} has no committed output "
              f"(committed: {', '.join(s for s in paths.STAGES if states[s]) or 'none'}). "
              f"Fix the cause, then: casefile rerun --case {case_id} --seizure {seizure_id}")
        return 1
    from jobs.common.storage import LocalStorage

    prefix = paths.casefile_prefix(ctx)
    bundle = storage.spark_path("casefiles", prefix) if isinstance(storage, LocalStorage) else f"casefiles/{prefix}"
    summary = json.loads(storage.read_bytes("casefiles", f"{prefix}/summary.json").decode("utf-8"))
    print_summary(bundle, summary)
    if ground_truth:
        rc = compare_ground_truth(summary, json.loads(Path(ground_truth).read_text(encoding="utf-8")))
        linkage_truth = Path(ground_truth).with_name("linkage_truth.csv")
        if not linkage_truth.is_file():
            print(f"casefile: no {linkage_truth}: probable duplicates not scored")
        elif isinstance(storage, LocalStorage):
            rc = max(rc, compare_linkage_truth(Path(bundle) / "records.csv", linkage_truth))
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="casefile-score-") as tmp:
                storage.get_file("casefiles", f"{prefix}/records.csv", Path(tmp) / "records.csv")
                rc = max(rc, compare_linkage_truth(Path(tmp) / "records.csv", linkage_truth))
        return rc
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    paths.check_id("case_id", args.case)
    paths.check_id("seizure_id", args.seizure)
    evidence = str(Path(args.evidence).resolve()) if args.evidence else ""
    logical = args.logical_date or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    run_id = manual_run_id(logical)
    conf = {"case_id": args.case, "seizure_id": args.seizure, "evidence": evidence, "seizure_date": args.seizure_date or ""}
    ctx = paths.RunContext(args.case, args.seizure, run_id)
    storage = open_storage()
    if airflow_url():
        api = _api()
        count = upload_evidence(storage, args.case, args.seizure, Path(args.evidence))
        print(f"casefile: {count} evidence item(s) in the evidence store under {paths.evidence_prefix(args.case, args.seizure)}/")
        conf["evidence"] = ""  # the workers read the evidence store, not this machine's folder
    storage.write_bytes("work", paths.run_record(ctx), json.dumps({"run_id": run_id, "logical_date": logical, "conf": conf}, indent=2, ensure_ascii=False).encode())
    print(f"casefile: run {run_id} of {args.case}/{args.seizure} through Airflow DAG seizure_pipeline")
    if airflow_url():
        api.trigger(DAG_ID, run_id, conf, logical)
        return _wait_remote(api, args.case, args.seizure, run_id, args)
    _dispatch(logical, conf, casefile_home() / "logs" / f"{ctx.case_id}_{ctx.seizure_id}_{ctx.run_key}.log")
    return _report(args.case, args.seizure, run_id, args.ground_truth)


def _api():
    from jobs.orchestration.rest import AirflowApi

    return AirflowApi.from_env()


def _wait_remote(api, case_id: str, seizure_id: str, run_id: str, args: argparse.Namespace) -> int:
    """Wait for a run on the deployment (unless ``--no-wait``), then report as in embedded mode."""
    if getattr(args, "no_wait", False):
        print(f"casefile: triggered; follow it with: casefile status --case {case_id} --seizure {seizure_id}")
        return 0
    state = api.wait(DAG_ID, run_id)
    print(f"casefile: dag run {run_id}: {state}")
    return _report(case_id, seizure_id, run_id, getattr(args, "ground_truth", ""))


def upload_evidence(storage, case_id: str, seizure_id: str, folder: Path) -> int:
    """Upload every file under ``folder`` to ``evidence/<case>/<seizure>/`` (write-once).

    A file already in the store is checked instead: it must have the same SHA-256.

    Returns:
        The number of files in ``folder``.

    Raises:
        EvidenceIntegrityError: the store holds different bytes under the same path.
    """
    import tempfile

    from jobs.common.custody import sha256_file
    from jobs.common.errors import EvidenceIntegrityError

    prefix = paths.evidence_prefix(case_id, seizure_id)
    if not folder.is_dir():
        raise EvidenceIntegrityError(f"evidence location is not a folder: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    for file in files:
        key = f"{prefix}/{file.relative_to(folder).as_posix()}"
        if storage.exists("evidence", key):
            with tempfile.TemporaryDirectory() as tmp:
                stored = Path(tmp) / "item"
                storage.get_file("evidence", key, stored)
                if sha256_file(stored) != sha256_file(file):
                    raise EvidenceIntegrityError(f"evidence item {key!r} in the store differs from {file}")
            continue
        storage.put_file("evidence", key, file, write_once=True)
    return len(files)


def latest_run(case_id: str, seizure_id: str) -> dict | None:
    """The run record (``run.json``) of the most recent run of a seizure, by logical date."""
    storage = open_storage()
    prefix = paths.runs_prefix(case_id, seizure_id)
    records = [json.loads(storage.read_bytes("work", k)) for k in storage.list("work", prefix) if k.endswith("/run.json")]
    return max(records, key=lambda r: r["logical_date"]) if records else None


def cmd_rerun(args: argparse.Namespace) -> int:
    record = latest_run(args.case, args.seizure)
    if record is None:
        print(f"casefile: no run of {args.case}/{args.seizure} to rerun")
        return 1
    if airflow_url():
        api = _api()
        states = api.task_states(DAG_ID, record["run_id"])
        failed = [s for s in paths.STAGES if states.get(s) in ("failed", "upstream_failed", "skipped", None)]
        if not failed:
            print(f"casefile: run {record['run_id']} has no failed stage: nothing to rerun")
            return _report(args.case, args.seizure, record["run_id"], args.ground_truth)
        print(f"casefile: rerun of {record['run_id']}: clearing {failed[0]} and its downstream tasks through the Airflow API")
        api.clear(DAG_ID, record["run_id"], [failed[0]])
        return _wait_remote(api, args.case, args.seizure, record["run_id"], args)
    print(f"casefile: rerun of {record['run_id']}: Airflow clears its task instances; committed stages are not run again")
    ctx = paths.RunContext(args.case, args.seizure, record["run_id"])
    _dispatch(record["logical_date"], record["conf"], casefile_home() / "logs" / f"{ctx.case_id}_{ctx.seizure_id}_{ctx.run_key}.rerun.log")
    return _report(args.case, args.seizure, record["run_id"], args.ground_truth)


def cmd_status(args: argparse.Namespace) -> int:
    record = latest_run(args.case, args.seizure)
    if record is None:
        print(f"casefile: no run of {args.case}/{args.seizure}")
        return 1
    from jobs.common.custody import is_committed

    ctx = paths.RunContext(args.case, args.seizure, record["run_id"])
    storage = open_storage()
    states: dict = {}
    if airflow_url():
        api = _api()
        run_state = api.run(DAG_ID, record["run_id"])["state"]
        states = api.task_states(DAG_ID, record["run_id"])
        print(f"run {record['run_id']} (logical date {record['logical_date']}): {run_state}")
    else:
        print(f"run {record['run_id']} (logical date {record['logical_date']})")
    for stage in paths.STAGES:
        line = f"  {stage:<12} {'committed' if is_committed(storage, ctx, stage) else 'not committed'}"
        if states:
            line += f"  (task {states.get(stage) or 'none'})"
        print(line)
    return 0
