"""``casefile`` command line: generate, run, rerun, inspect, pull and verify case files.

Commands:
  synth       write a synthetic seizure and its ground truth
  run         register a folder of seized files and process it through the Airflow DAG
  rerun       complete the latest run of a seizure (committed stages are not run again)
  status      each stage's state in the latest run of a seizure
  pull        copy the latest validated bundle of a seizure and verify its hashes
  verify      check a bundle folder against its SHA256SUMS
  airflow-init  initialise Airflow's metadata database (embedded mode; idempotent)
  storage-init  create the buckets of the object store (evidence with object lock; idempotent)
  package     build the zip of the ``jobs`` package that Spark executors get as ``--py-files``

Against a deployment (``CASEFILE_AIRFLOW_URL`` set, with ``CASEFILE_AIRFLOW_USERNAME`` and
``CASEFILE_AIRFLOW_PASSWORD``): ``run`` uploads the evidence to the object store and triggers the DAG
through Airflow's REST API, ``status`` shows the Airflow state and commit of each stage, ``rerun``
clears the failed task and its downstream tasks through the API; ``pull`` reads the ``casefiles``
store (a bucket with ``CASEFILE_STORAGE=minio``) in both modes.

Nothing here prints record values: only counts, hashes, locations and states.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from jobs.orchestration.rest import airflow_url
from jobs.common import paths
from jobs.common.config import REPO_ROOT, casefile_home, load_config


# --------------------------------------------------------------------------- environment


def airflow_env() -> dict[str, str]:
    """Environment for Airflow processes in embedded mode (SQLite metadata under CASEFILE_HOME)."""
    config = load_config()
    home = casefile_home()
    env = dict(os.environ)
    env.setdefault("CASEFILE_HOME", str(home))
    env.setdefault("AIRFLOW_HOME", str(home / "airflow"))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO_ROOT / "dags"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
    master = config.spark_master
    if master.startswith("spark://") and master.count(":") == 2:
        host, port = master.rsplit(":", 1)
        conn = {"conn_type": "spark", "host": host, "port": int(port)}
    else:
        conn = {"conn_type": "spark", "host": master}
    env.setdefault("AIRFLOW_CONN_SPARK_DEFAULT", json.dumps(conn))
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    return env


def cmd_airflow_init(_: argparse.Namespace) -> int:
    env = airflow_env()
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    marker = Path(env["AIRFLOW_HOME"]) / ".db-migrated"
    if marker.exists():
        return 0
    print(f"casefile: initialising Airflow metadata DB in {env['AIRFLOW_HOME']}", flush=True)
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    marker.write_text("ok\n")
    return 0


# --------------------------------------------------------------------------- synth


def cmd_synth(args: argparse.Namespace) -> int:
    from jobs.synth.generator import generate_seizure

    truth = generate_seizure(Path(args.out), records=args.records, seed=args.seed)
    print(f"casefile: synthetic seizure in {Path(args.out) / 'evidence'}: {truth['raw_rows']:,} raw rows, "
          f"{truth['unique_records']:,} unique records; ground truth {Path(args.out) / 'ground_truth.json'}")
    return 0


# --------------------------------------------------------------------------- run / rerun


def _storage():
    from jobs.common.storage import get_storage

    return get_storage(load_config())


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
            shown = _progress_line(line)
            if shown:
                print("  " + shown, flush=True)
        return proc.wait()


_CASEFILE_LOG = re.compile(r"(?:INFO|WARNING|ERROR) casefile: (.*?)(?: \[airflow[^\]]*\].*)?$")
_ERROR_LOG = re.compile(r"jobs\.common\.errors\.(\w+): (.*?)(?: \[airflow[^\]]*\].*)?$")


def _progress_line(line: str) -> str | None:
    """The part of an Airflow/Spark log line worth showing a person: casefile's own messages
    (counts and states only) and casefile errors."""
    line = line.rstrip()
    if "casefile-airflow-runner" in line:
        return line
    m = _CASEFILE_LOG.search(line) or _ERROR_LOG.search(line)
    if m:
        return ": ".join(g for g in m.groups() if g)
    return None


def _run_id(logical_date: str) -> str:
    # DagRunType.MANUAL.generate_run_id(suffix=run_after.isoformat()) with run_after == logical date
    return f"manual__{dt.datetime.fromisoformat(logical_date).isoformat()}"


def _report(case_id: str, seizure_id: str, run_id: str, ground_truth: str | None) -> int:
    storage = _storage()
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
    print(f"casefile: case file published: {bundle}")
    print(f"  raw rows {summary['raw_rows']:,}  quarantined {summary['quarantined_rows']:,}  records {summary['records']:,}  "
          f"duplicates {summary['duplicate_records']:,}  unique {summary['unique_records']:,}")
    def num(bound: str, key: str) -> str:  # bundles written before the bounds existed have none
        n = summary.get(bound, {}).get("categories", {}).get(key, {}).get("unique_records")
        return f"{n:>10,}" if isinstance(n, int) else f"{'—':>10}"

    for key, c in summary["categories"].items():
        print(f"  {key:<10} unique records {c['unique_records']:>10,}  counted: lower bound {num('lower_bound', key)}  "
              f"upper bound {num('upper_bound', key)}  threshold {c['threshold']:>6,}")
    print(f"  bare phone numbers {summary.get('bare_phone_records', 0):,} (own line)  untrue {summary.get('untrue_records', 0):,}  "
          f"probable duplicates {summary.get('probable_duplicate_records', 0):,}")
    print(f"  tier (lower bound) {summary['tier']}, weighted total {summary['weighted_total']:.3f}; upper bound "
          f"{summary.get('tier_upper_bound', summary['tier'])}, {summary.get('weighted_total_upper_bound', summary['weighted_total']):.3f}"
          + ("  — the tier depends on the probable duplicates" if summary.get("tier_depends_on_probable_duplicates") else ""))
    if ground_truth:
        rc = _compare_ground_truth(summary, json.loads(Path(ground_truth).read_text(encoding="utf-8")))
        linkage_truth = Path(ground_truth).with_name("linkage_truth.csv")
        if not linkage_truth.is_file():
            print(f"casefile: no {linkage_truth}: probable duplicates not scored")
        elif isinstance(storage, LocalStorage):
            rc = max(rc, _compare_linkage_truth(Path(bundle) / "records.csv", linkage_truth))
        else:
            import tempfile

            with tempfile.TemporaryDirectory(prefix="casefile-score-") as tmp:
                storage.get_file("casefiles", f"{prefix}/records.csv", Path(tmp) / "records.csv")
                rc = max(rc, _compare_linkage_truth(Path(tmp) / "records.csv", linkage_truth))
        return rc
    return 0


#: Issue 5 acceptance on generated seizures: the injected probable duplicates are found with
#: pairwise precision >= 0.99 and recall >= 0.95.
PROBABLE_PRECISION_TARGET, PROBABLE_RECALL_TARGET = 0.99, 0.95


def _compare_linkage_truth(records_csv: Path, linkage_truth: Path) -> int:
    from jobs.evaluation.linkage_truth import evaluate_probable_duplicates

    m = evaluate_probable_duplicates(records_csv, linkage_truth)
    if m["unmatched_truth_records"]:
        print(f"casefile: {m['unmatched_truth_records']:,} of {m['truth_records']:,} records of linkage_truth.csv are not in "
              f"records.csv (the generator's and the pipeline's normalization disagree): probable duplicates NOT scored")
        return 2
    kinds = ", ".join(f"{k} {v['found']}/{v['records']}" for k, v in m["by_kind"].items())
    print(f"casefile: probable duplicates vs the generator's linkage_truth.csv: precision {m['pairwise_precision']:.4f}, "
          f"recall {m['pairwise_recall']:.4f}, F1 {m['pairwise_f1']:.4f} ({m['true_positive_pairs']:,} of "
          f"{m['predicted_pairs']:,} predicted pairs true, {m['true_pairs']:,} true pairs; found by kind: {kinds})")
    if m["pairwise_precision"] < PROBABLE_PRECISION_TARGET or m["pairwise_recall"] < PROBABLE_RECALL_TARGET:
        print(f"casefile: probable duplicates do NOT meet precision >= {PROBABLE_PRECISION_TARGET} and recall >= {PROBABLE_RECALL_TARGET}")
        return 2
    return 0


def _compare_ground_truth(summary: dict, truth: dict) -> int:
    keys = ["raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records"]
    diffs = [f"{k}: case file {summary[k]} vs ground truth {truth[k]}" for k in keys if summary[k] != truth[k]]
    for cat, c in truth["categories"].items():
        if summary["categories"][cat]["unique_records"] != c["unique_records"]:
            diffs.append(f"{cat}: case file {summary['categories'][cat]['unique_records']} vs ground truth {c['unique_records']}")
    if diffs:
        print("casefile: the case file does NOT match the generator's ground truth:\n  " + "\n  ".join(diffs))
        return 2
    print("casefile: every count matches the generator's ground_truth.json")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    paths.check_id("case_id", args.case)
    paths.check_id("seizure_id", args.seizure)
    evidence = str(Path(args.evidence).resolve()) if args.evidence else ""
    logical = args.logical_date or dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    run_id = _run_id(logical)
    conf = {"case_id": args.case, "seizure_id": args.seizure, "evidence": evidence, "seizure_date": args.seizure_date or ""}
    ctx = paths.RunContext(args.case, args.seizure, run_id)
    storage = _storage()
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


DAG_ID = "seizure_pipeline"


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
    storage = _storage()
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
    storage = _storage()
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


# --------------------------------------------------------------------------- pull / verify


def verify_bundle(folder: Path) -> list[str]:
    """Problems found checking ``folder`` against its SHA256SUMS (empty list: verified); see
    :func:`jobs.common.custody.verify_sha256sums`."""
    from jobs.common.custody import verify_sha256sums

    return verify_sha256sums(folder)


def cmd_verify(args: argparse.Namespace) -> int:
    problems = verify_bundle(Path(args.dir))
    if problems:
        print("casefile verify: FAILED\n  " + "\n  ".join(problems))
        return 1
    print(f"casefile verify: OK ({args.dir})")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    storage = _storage()
    pointer = paths.latest_pointer(args.case, args.seizure)
    if not storage.exists("casefiles", pointer):
        print(f"casefile: no published case file for {args.case}/{args.seizure}")
        return 1
    run_key = storage.read_bytes("casefiles", pointer).decode().strip()
    prefix = f"{paths.evidence_prefix(args.case, args.seizure)}/{run_key}"
    dest = Path(args.dest)
    if dest.exists() and any(dest.iterdir()):
        print(f"casefile: destination {dest} is not empty")
        return 1
    for key in storage.list("casefiles", prefix):
        storage.get_file("casefiles", key, dest / key[len(prefix) + 1:])
    problems = verify_bundle(dest)
    if problems:
        print("casefile pull: verification FAILED\n  " + "\n  ".join(problems))
        return 1
    print(f"casefile pull: {args.case}/{args.seizure} run {run_key} → {dest} (verified)")
    return 0


def cmd_case_report(args: argparse.Namespace) -> int:
    """Case report over the latest verified bundle of every seizure of a case (jobs.case_report.job)."""
    from jobs.common.errors import CasefileError
    from jobs.case_report.job import make_case_report

    try:
        out = make_case_report(args.case, storage=_storage(), roles_file=Path(args.roles) if args.roles else None,
                               dest=Path(args.dest) if args.dest else None)
    except CasefileError as exc:
        print(f"casefile case-report: {exc}")
        return 1
    s = out["summary"]
    print(f"casefile case-report: {args.case}: {len(s['seizures'])} seizure(s) → {out['location']}")
    for suspect, d in s["suspects"].items():
        u, lo = d["upper_bound"], d["lower_bound"]
        print(f"  suspect {suspect}: art. 11 count {lo['art11_count']:,}–{u['art11_count']:,} → {lo['tier']} / {u['tier']}")
    print(f"  cross-seizure overlap rows {s['overlap_rows']:,}")
    return 0


# --------------------------------------------------------------------------- deployment helpers


def cmd_storage_init(_: argparse.Namespace) -> int:
    from jobs.common.storage import minio_storage

    config = load_config()
    if config.storage_backend != "minio":
        print("casefile: storage-init is for CASEFILE_STORAGE=minio (the local folder needs none)")
        return 0
    locks = minio_storage(config).ensure_buckets()
    for store, bucket in config.buckets.items():
        print(f"casefile: bucket {bucket} ({store}) ready{', object lock on' if locks.get(store) else ''}")
    return 0


def build_package_zip(dest: Path) -> Path:
    """Zip the ``jobs`` package (its ``.py`` files and ``.j2`` page templates) for ``spark-submit --py-files``.

    Returns:
        ``dest``, written atomically, with fixed timestamps so that equal sources give equal bytes.
    """
    import zipfile

    package = Path(__file__).resolve().parents[1]  # jobs/
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2")):
            info = zipfile.ZipInfo(f"jobs/{file.relative_to(package).as_posix()}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, file.read_bytes())
    os.replace(tmp, dest)
    return dest


def cmd_package(args: argparse.Namespace) -> int:
    out = build_package_zip(Path(args.out))
    print(f"casefile: {out} (set CASEFILE_PY_FILES={out.resolve()})")
    return 0


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="casefile", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("synth", help="write a synthetic seizure and its ground truth")
    s.add_argument("--out", required=True)
    s.add_argument("--records", type=int, default=200_000, help="good rows to write, >= 1000 (default: %(default)s)")
    s.add_argument("--seed", type=int, default=20190412, help="seed of every random choice (default: %(default)s)")
    s.set_defaults(func=cmd_synth)
    helps = {"run": "run a seizure through the seizure_pipeline DAG (embedded, or through the REST API of CASEFILE_AIRFLOW_URL)",
             "rerun": "complete the seizure's last run: committed stages are kept, the failed one and those after it run again",
             "status": "each stage of the seizure's last run: committed or not (and the task state on a deployment)"}
    for name, func in (("run", cmd_run), ("rerun", cmd_rerun), ("status", cmd_status)):
        r = sub.add_parser(name, help=helps[name])
        r.add_argument("--case", required=True)
        r.add_argument("--seizure", required=True)
        if name == "run":
            r.add_argument("--evidence", required=True, help="folder of seized files")
            r.add_argument("--seizure-date", default="", help="YYYY-MM-DD")
            r.add_argument("--logical-date", default="", help="ISO date-time of the Airflow run (default: now, UTC)")
        if name in ("run", "rerun"):
            r.add_argument("--ground-truth", default="", help="compare the summary with a generator's ground_truth.json "
                           "(and score probable duplicates against the linkage_truth.csv beside it)")
            r.add_argument("--no-wait", action="store_true", help="deployment mode: return once triggered")
        r.set_defaults(func=func)
    pl = sub.add_parser("pull", help="copy the seizure's latest case file to --dest and verify its SHA256SUMS")
    pl.add_argument("--case", required=True)
    pl.add_argument("--seizure", required=True)
    pl.add_argument("--dest", required=True)
    pl.set_defaults(func=cmd_pull)
    v = sub.add_parser("verify", help="check a case file folder against its SHA256SUMS")
    v.add_argument("dir")
    v.set_defaults(func=cmd_verify)
    a = sub.add_parser("airflow-init", help="create or migrate the embedded Airflow metadata DB (AIRFLOW_HOME)")
    a.set_defaults(func=cmd_airflow_init)
    si = sub.add_parser("storage-init", help="create the object store's buckets (MinIO)")
    si.set_defaults(func=cmd_storage_init)
    pk = sub.add_parser("package", help="zip the jobs package for Spark executors (--py-files)")
    pk.add_argument("--out", default=str(REPO_ROOT / "dist" / "casefile-jobs.zip"))
    pk.set_defaults(func=cmd_package)
    cr = sub.add_parser("case-report", help="art. 11 counts and cross-seizure overlap over the seizures of a case")
    cr.add_argument("--case", required=True)
    cr.add_argument("--roles", default="", help="roles YAML (default configs/cases/<case>.yaml; none: each seizure its own suspect)")
    cr.add_argument("--dest", default="", help="write the report to this folder instead of casefiles/<case>/_case/")
    cr.set_defaults(func=cmd_case_report)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
