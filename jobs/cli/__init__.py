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
  case-report art. 11 counts and cross-seizure overlap over the seizures of a case

Against a deployment (``CASEFILE_AIRFLOW_URL`` set, with ``CASEFILE_AIRFLOW_USERNAME`` and
``CASEFILE_AIRFLOW_PASSWORD``): ``run`` uploads the evidence to the object store and triggers the DAG
through Airflow's REST API, ``status`` shows the Airflow state and commit of each stage, ``rerun``
clears the failed task and its downstream tasks through the API; ``pull`` reads the ``casefiles``
store (a bucket with ``CASEFILE_STORAGE=minio``) in both modes.

Nothing here prints record values: only counts, hashes, locations and states.

This module holds the parser and :func:`main`; the commands are in :mod:`~jobs.cli.runs` (run,
rerun, status), :mod:`~jobs.cli.bundles` (pull, verify, case-report), :mod:`~jobs.cli.admin`
(airflow-init, storage-init, package, synth) and what they print in :mod:`~jobs.cli.console`.
"""

from __future__ import annotations

import argparse

from jobs.cli.admin import cmd_airflow_init, cmd_package, cmd_storage_init, cmd_synth
from jobs.cli.bundles import cmd_case_report, cmd_pull, cmd_verify
from jobs.cli.runs import cmd_rerun, cmd_run, cmd_status
from jobs.common.config import REPO_ROOT


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
