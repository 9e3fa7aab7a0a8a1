"""``casefile run | rerun | status``: one seizure through the ``seizure_pipeline`` DAG.

Embedded mode runs the DAG in a subprocess (:mod:`jobs.orchestration.embedded`) and shows its
progress lines; against a deployment (``CASEFILE_AIRFLOW_URL``) the evidence is uploaded to the
evidence store and the run is triggered, watched and cleared through Airflow's REST API
(:mod:`jobs.orchestration.rest`). Both end with the same report of the published case file.

Everything that can be checked before starting is checked first (:mod:`jobs.cli.preflight`): ids,
dates, the evidence folder (exists, holds a file), the ``--ground-truth`` file. While a run goes,
:class:`~jobs.cli.console.Progress` shows the stage and elapsed time on stderr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jobs.cli.admin import ensure_airflow_db, open_storage
from jobs.cli.console import Output, Progress, print_summary, progress_line
from jobs.cli.exitcodes import ExitCode, NotFoundError, RemoteError, UsageError
from jobs.cli.preflight import check_evidence_folder, check_ids, check_input_file, check_logical_date, check_seizure_date
from jobs.common import paths
from jobs.common.config import casefile_home
from jobs.evaluation.acceptance import compare_ground_truth, compare_linkage_truth
from jobs.orchestration.embedded import airflow_env, manual_run_id
from jobs.orchestration.rest import airflow_url

DAG_ID = "seizure_pipeline"
#: Task states of a stage that is under way (Airflow 3 ``TaskInstanceState``).
ACTIVE_TASK_STATES = ("running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "deferred", "restarting")
#: Headline keys of ``summary.json`` in ``casefile run --json``.
SUMMARY_KEYS = ("raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records", "tier", "weighted_total",
                "tier_upper_bound", "weighted_total_upper_bound", "tier_depends_on_probable_duplicates", "probable_duplicate_records")


def new_log_path(folder: Path, stem: str, kind: str) -> Path:
    """A log file no earlier command of this run used, created empty.

    The first ``run`` logs to ``<stem>.log`` (as before), a repeated one to ``<stem>.run-2.log``,
    ``-3``…; reruns to ``<stem>.rerun.log``, ``<stem>.rerun-2.log``… Created with ``O_EXCL``, so
    two commands at the same moment cannot pick the same file and no log is ever overwritten.

    Args:
        folder: the logs folder (created).
        stem: ``<case>_<seizure>_<run key>``.
        kind: ``run`` or ``rerun``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        name = f"{stem}.log" if (kind, n) == ("run", 1) else f"{stem}.{kind}{'' if n == 1 else f'-{n}'}.log"
        try:
            os.close(os.open(folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return folder / name
        except FileExistsError:
            n += 1


def _log_path(ctx: paths.RunContext, kind: str) -> Path:
    return new_log_path(casefile_home() / "logs", f"{ctx.case_id}_{ctx.seizure_id}_{ctx.run_key}", kind)


def runner_command(logical_date: str, conf: dict) -> list[str]:
    """The embedded DAG runner's command line (:func:`jobs.orchestration.embedded.main`)."""
    return [sys.executable, "-m", "jobs.orchestration.embedded", "--logical-date", logical_date, "--conf", json.dumps(conf, ensure_ascii=False)]


def _dispatch(logical_date: str, conf: dict, log_path: Path, out: Output) -> int:
    """Run the DAG in-process through Airflow; stream its log to ``log_path``, show casefile lines
    and the live progress."""
    env = airflow_env()
    ensure_airflow_db(out.say)
    cmd = runner_command(logical_date, conf)
    out.progress = progress = Progress(paths.STAGES)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        assert proc.stdout is not None
        progress.start()
        try:
            for line in proc.stdout:
                log.write(line)
                progress.observe(line)
                shown = progress_line(line)
                if shown:
                    out.say("  " + shown)
            return proc.wait()
        finally:
            progress.stop()
            out.progress = None
            if proc.poll() is None:  # interrupted: do not leave the DAG running behind the prompt
                proc.terminate()
                proc.wait(timeout=60)


def _report(case_id: str, seizure_id: str, run_id: str, ground_truth: str | None, out: Output, log: Path | None = None) -> int:
    """Report the run: which stage failed, or the published case file and its counts (and the
    comparison with ``--ground-truth``). Prints for a person and writes the ``--json`` result."""
    storage = open_storage()
    ctx = paths.RunContext(case_id, seizure_id, run_id)
    from jobs.common.custody import is_committed, read_stage_manifest

    states = {s: is_committed(storage, ctx, s) for s in paths.STAGES}
    doc: dict[str, Any] = {"case_id": case_id, "seizure_id": seizure_id, "run_id": run_id,
                           "stages": {s: {"committed": c} for s, c in states.items()}, "log": str(log) if log else None}
    if not states["export"]:
        failed = next(s for s in paths.STAGES if not states[s])
        message = (f"run {run_id} did not complete: stage {failed!r} has no committed output "
                   f"(committed: {', '.join(s for s in paths.STAGES if states[s]) or 'none'}). "
                   f"Fix the cause, then: casefile rerun --case {case_id} --seizure {seizure_id}")
        out.say(f"casefile: {message}" + (f"\n  log: {log}" if log else ""))
        out.result({**doc, "ok": False, "exit_code": int(ExitCode.RUN_FAILED), "exit_name": ExitCode.RUN_FAILED.name,
                    "failed_stage": failed, "error": message})
        return ExitCode.RUN_FAILED
    from jobs.common.storage import LocalStorage

    # issue 17: a bundle recomputed with review decisions has its own key; export's manifest names it
    prefix = read_stage_manifest(storage, ctx, "export").get("bundle") or paths.casefile_prefix(ctx)
    bundle = storage.spark_path("casefiles", prefix) if isinstance(storage, LocalStorage) else f"casefiles/{prefix}"
    summary = json.loads(storage.read_bytes("casefiles", f"{prefix}/summary.json").decode("utf-8"))
    seal = {name: hashlib.sha256(storage.read_bytes("casefiles", f"{prefix}/{name}")).hexdigest() for name in ("manifest.json", "SHA256SUMS")}
    print_summary(bundle, summary, say=out.say)
    out.say(f"  seal: manifest.json SHA-256 {seal['manifest.json']}  (record it; casefile verify DIR --manifest-sha256 checks it)")
    doc.update(bundle=bundle, manifest_sha256=seal["manifest.json"], sha256sums_sha256=seal["SHA256SUMS"],
               summary={**{k: summary[k] for k in SUMMARY_KEYS if k in summary},
                        "categories": {k: {"unique_records": c["unique_records"], "threshold": c["threshold"]} for k, c in summary["categories"].items()}})
    code = ExitCode.OK
    if ground_truth:
        code, doc["ground_truth"] = _compare(storage, prefix, bundle, summary, Path(ground_truth), out)
    out.result({**doc, "ok": code == ExitCode.OK, "exit_code": int(code), "exit_name": code.name})
    return code


def _compare(storage, prefix: str, bundle: str, summary: dict, ground_truth: Path, out: Output) -> tuple[ExitCode, dict]:
    """The summary against the generator's ground truth and, when ``linkage_truth.csv`` is beside
    it, the probable duplicates against the true links (:mod:`jobs.evaluation.acceptance`)."""
    from jobs.common.storage import LocalStorage

    rc = compare_ground_truth(summary, json.loads(ground_truth.read_text(encoding="utf-8")), say=out.say)
    result = {"file": str(ground_truth), "counts_match": rc == 0, "linkage_scored": False}
    linkage_truth = ground_truth.with_name("linkage_truth.csv")
    if not linkage_truth.is_file():
        out.say(f"casefile: no {linkage_truth}: probable duplicates not scored")
    elif isinstance(storage, LocalStorage):
        lrc = compare_linkage_truth(Path(bundle) / "records.csv", linkage_truth, say=out.say)
        result.update(linkage_scored=True, linkage_passed=lrc == 0)
        rc = max(rc, lrc)
    else:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="casefile-score-") as tmp:
            storage.get_file("casefiles", f"{prefix}/records.csv", Path(tmp) / "records.csv")
            lrc = compare_linkage_truth(Path(tmp) / "records.csv", linkage_truth, say=out.say)
        result.update(linkage_scored=True, linkage_passed=lrc == 0)
        rc = max(rc, lrc)
    return (ExitCode.GROUND_TRUTH_MISMATCH if rc else ExitCode.OK), result


def cmd_run(args) -> int:
    out: Output = args.output
    # Everything that can be refused is refused here, before Airflow, storage or an upload.
    check_ids(args.case, args.seizure)
    logical = check_logical_date(args.logical_date) if args.logical_date else dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    seizure_date = check_seizure_date(args.seizure_date)
    evidence = check_evidence_folder(args.evidence)
    if args.ground_truth:
        check_input_file("--ground-truth", args.ground_truth)
    api = _api() if airflow_url() else None  # credentials are checked before anything is uploaded

    run_id = manual_run_id(logical)
    conf = {"case_id": args.case, "seizure_id": args.seizure, "evidence": str(evidence), "seizure_date": seizure_date}
    if getattr(args, "lang", None):  # the DAG param report_language → export --report-language
        conf["report_language"] = args.lang
    ctx = paths.RunContext(args.case, args.seizure, run_id)
    storage = open_storage()
    if api is not None:
        count = upload_evidence(storage, args.case, args.seizure, evidence)
        out.say(f"casefile: {count} evidence item(s) in the evidence store under {paths.evidence_prefix(args.case, args.seizure)}/")
        conf["evidence"] = ""  # the workers read the evidence store, not this machine's folder
    storage.write_bytes("work", paths.run_record(ctx), json.dumps({"run_id": run_id, "logical_date": logical, "conf": conf}, indent=2, ensure_ascii=False).encode())
    out.say(f"casefile: run {run_id} of {args.case}/{args.seizure} through Airflow DAG seizure_pipeline")
    if api is not None:
        api.trigger(DAG_ID, run_id, conf, logical)
        return _wait_remote(api, args.case, args.seizure, run_id, args)
    log = _log_path(ctx, "run")
    _dispatch(logical, conf, log, out)
    return _report(args.case, args.seizure, run_id, args.ground_truth, out, log)


def _api():
    from jobs.orchestration.rest import AirflowApi

    return AirflowApi.from_env()


def wait_for_run(api, run_id: str, progress: Progress, *, poll: float = 10.0, timeout: float = 6 * 3600,
                 sleep=time.sleep, clock=time.monotonic) -> str:
    """Poll a deployment's DAG run until it is ``success`` or ``failed``, showing on ``progress``
    the stage under way (the first stage task in an active state, else the first not yet started)
    and its task state.

    Returns:
        The final run state.

    Raises:
        RemoteError: still not finished after ``timeout`` seconds.
    """
    from jobs.orchestration.rest import TERMINAL_RUN_STATES

    deadline = clock() + timeout
    while True:
        state = api.run(DAG_ID, run_id)["state"]
        if state in TERMINAL_RUN_STATES:
            return state
        tasks = api.task_states(DAG_ID, run_id)
        active = [s for s in paths.STAGES if tasks.get(s) in ACTIVE_TASK_STATES]
        pending = [s for s in paths.STAGES if not tasks.get(s)]
        if active:
            progress.set_stage(active[0], f"task {tasks[active[0]]}")
        elif pending:
            progress.set_stage(pending[0], f"waiting for the scheduler (run {state})")
        else:
            progress.set_stage(None, f"run {state}")
        if clock() > deadline:
            raise RemoteError(f"run {run_id} of {DAG_ID} still {state} after {timeout:.0f}s; follow it with casefile status")
        sleep(poll)


def _wait_remote(api, case_id: str, seizure_id: str, run_id: str, args) -> int:
    """Wait for a run on the deployment (unless ``--no-wait``), then report as in embedded mode."""
    out: Output = args.output
    if getattr(args, "no_wait", False):
        out.say(f"casefile: triggered; follow it with: casefile status --case {case_id} --seizure {seizure_id}")
        out.result({"ok": True, "exit_code": 0, "exit_name": "OK", "case_id": case_id, "seizure_id": seizure_id, "run_id": run_id, "state": "triggered"})
        return ExitCode.OK
    out.progress = progress = Progress(paths.STAGES)
    progress.set_stage(None, "waiting for the Airflow scheduler")
    progress.start()
    try:
        state = wait_for_run(api, run_id, progress)
    finally:
        progress.stop()
        out.progress = None
    out.say(f"casefile: dag run {run_id}: {state}")
    return _report(case_id, seizure_id, run_id, getattr(args, "ground_truth", ""), out)


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


def _latest_or_fail(case_id: str, seizure_id: str, what: str) -> dict:
    check_ids(case_id, seizure_id)
    record = latest_run(case_id, seizure_id)
    if record is None:
        raise NotFoundError(f"no run of {case_id}/{seizure_id}{what} (casefile run starts one)")
    return record


def cmd_rerun(args) -> int:
    out: Output = args.output
    lang = getattr(args, "lang", None)
    if lang and airflow_url():  # refused before --apply-review un-commits anything
        record = _latest_or_fail(args.case, args.seizure, " to rerun")
        if lang != (record["conf"].get("report_language") or None):
            # Airflow's clear keeps a run's params: the language is the one the run was triggered with.
            raise UsageError(f"--lang {lang}: run {record['run_id']} on the deployment keeps the language it was triggered with; "
                             f"start a new run with casefile run --lang {lang}")
    if getattr(args, "apply_review", False):  # issue 17: deduplicate and export again, with the decisions
        from jobs.cli.review import apply_review_rerun

        apply_review_rerun(args.case, args.seizure, out)
    record = _latest_or_fail(args.case, args.seizure, " to rerun")
    if args.ground_truth:
        check_input_file("--ground-truth", args.ground_truth)
    if airflow_url():
        api = _api()
        states = api.task_states(DAG_ID, record["run_id"])
        failed = [s for s in paths.STAGES if states.get(s) in ("failed", "upstream_failed", "skipped", None)]
        if not failed:
            out.say(f"casefile: run {record['run_id']} has no failed stage: nothing to rerun")
            return _report(args.case, args.seizure, record["run_id"], args.ground_truth, out)
        out.say(f"casefile: rerun of {record['run_id']}: clearing {failed[0]} and its downstream tasks through the Airflow API")
        api.clear(DAG_ID, record["run_id"], [failed[0]])
        return _wait_remote(api, args.case, args.seizure, record["run_id"], args)
    out.say(f"casefile: rerun of {record['run_id']}: Airflow clears its task instances; committed stages are not run again")
    ctx = paths.RunContext(args.case, args.seizure, record["run_id"])
    log = _log_path(ctx, "rerun")
    conf = {**record["conf"], "report_language": lang} if lang else record["conf"]
    _dispatch(record["logical_date"], conf, log, out)
    return _report(args.case, args.seizure, record["run_id"], args.ground_truth, out, log)


def cmd_status(args) -> int:
    out: Output = args.output
    record = _latest_or_fail(args.case, args.seizure, "")
    from jobs.common.custody import is_committed

    ctx = paths.RunContext(args.case, args.seizure, record["run_id"])
    storage = open_storage()
    states: dict = {}
    doc: dict[str, Any] = {"ok": True, "exit_code": 0, "exit_name": "OK", "case_id": args.case, "seizure_id": args.seizure,
                           "run_id": record["run_id"], "logical_date": record["logical_date"]}
    if airflow_url():
        api = _api()
        doc["run_state"] = run_state = api.run(DAG_ID, record["run_id"])["state"]
        states = api.task_states(DAG_ID, record["run_id"])
        out.say(f"run {record['run_id']} (logical date {record['logical_date']}): {run_state}")
    else:
        out.say(f"run {record['run_id']} (logical date {record['logical_date']})")
    doc["stages"] = {}
    for stage in paths.STAGES:
        committed = is_committed(storage, ctx, stage)
        doc["stages"][stage] = {"committed": committed, **({"task_state": states.get(stage)} if states else {})}
        line = f"  {stage:<12} {'committed' if committed else 'not committed'}"
        if states:
            line += f"  (task {states.get(stage) or 'none'})"
        out.say(line)
    out.result(doc)
    return ExitCode.OK
