"""``casefile`` command line: generate, run, rerun, inspect, pull and verify case files.

Commands:
  synth       write a synthetic seizure and its ground truth
  run         register a folder of seized files and process it through the Airflow DAG
  rerun       complete the latest run of a seizure (committed stages are not run again)
  status      each stage's state in the latest run of a seizure
  pull        copy the latest validated bundle of a seizure and verify its hashes
  verify      check a bundle folder against its SHA256SUMS and manifest.json
  airflow-init  initialise Airflow's metadata database (embedded mode; idempotent)
  storage-init  create the buckets of the object store (evidence with object lock; idempotent)
  package     build the zip of the ``jobs`` package that Spark executors get as ``--py-files``
  case-report art. 11 counts and cross-seizure overlap over the seizures of a case

Against a deployment (``CASEFILE_AIRFLOW_URL`` set, with ``CASEFILE_AIRFLOW_USERNAME`` and
``CASEFILE_AIRFLOW_PASSWORD``): ``run`` uploads the evidence to the object store and triggers the DAG
through Airflow's REST API, ``status`` shows the Airflow state and commit of each stage, ``rerun``
clears the failed task and its downstream tasks through the API; ``pull`` reads the ``casefiles``
store (a bucket with ``CASEFILE_STORAGE=minio``) in both modes.

``--lang zh-CN|en`` on ``run``, ``rerun`` and ``case-report`` overrides ``report.language`` of the
configuration for the pages, workbook and reader's guide that command renders (``run`` passes it to
the DAG as the ``report_language`` param, which the export stage gets as ``--report-language``).

Nothing here prints record values: only counts, hashes, locations and states. A user error is one
line on stderr and a distinct exit code (:mod:`jobs.cli.exitcodes`), never a traceback; ``--json``
makes ``run``, ``rerun``, ``status``, ``verify`` and ``pull`` print one JSON document on stdout
(progress and messages go to stderr).

This module holds the parser and :func:`main`; the commands are in :mod:`~jobs.cli.runs` (run,
rerun, status), :mod:`~jobs.cli.bundles` (pull, verify, case-report), :mod:`~jobs.cli.admin`
(airflow-init, storage-init, package, synth) and what they print in :mod:`~jobs.cli.console`.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from jobs.cli.admin import cmd_airflow_init, cmd_package, cmd_storage_init, cmd_synth
from jobs.cli.bundles import cmd_case_report, cmd_pull, cmd_verify
from jobs.cli.console import Output
from jobs.cli.exitcodes import ExitCode, UsageError, exit_code_for, exit_code_table
from jobs.cli.review import cmd_review
from jobs.cli.runs import cmd_rerun, cmd_run, cmd_status
from jobs.common.config import REPO_ROOT, REPORT_LANGUAGES

#: ``--lang`` of the commands that render a report (run, rerun, case-report).
LANG_HELP = ("language of summary.html, the workbook and the reader's guide: zh-CN or en "
             "(default: report.language in configs/pipeline.yaml, or CASEFILE_REPORT_LANGUAGE)")

#: Commands that take ``--json``.
JSON_COMMANDS = ("run", "rerun", "status", "verify", "pull")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is raised as :class:`UsageError` (one line, no usage dump) so
    that :func:`main` reports it like every other user error."""

    def error(self, message: str):  # noqa: D102 - argparse's hook
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _version() -> str:
    from jobs.common.custody import code_version

    return f"casefile {code_version()}"


def build_parser(*, raise_usage_errors: bool = False) -> argparse.ArgumentParser:
    """The ``casefile`` parser.

    Args:
        raise_usage_errors: raise :class:`UsageError` on a bad command line (what :func:`main`
            uses) instead of argparse's usage dump and ``SystemExit(2)`` (what a caller that only
            checks a command line, e.g. ``tests/integration/test_compose.py``, expects).
    """
    cls = _Parser if raise_usage_errors else argparse.ArgumentParser
    p = cls(prog="casefile", description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
               epilog="exit codes:\n" + exit_code_table() + "\n\nCommands that take --json: " + ", ".join(JSON_COMMANDS)
               + " (one JSON document on stdout; progress and messages on stderr).")
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=cls)
    s = sub.add_parser("synth", help="write a synthetic seizure and its ground truth")
    s.add_argument("--out", required=True)
    s.add_argument("--records", type=int, default=200_000, help="good rows to write, >= 1000 (default: %(default)s)")
    s.add_argument("--seed", type=int, default=20190412, help="seed of every random choice (default: %(default)s)")
    s.add_argument("--rar", action="store_true", help="deliver the headerless item inside a RAR archive (三要素.rar)")
    s.add_argument("--access", action="store_true", help="deliver the XLS item's rows as an Access database (学生家长名单.mdb)")
    s.set_defaults(func=cmd_synth)
    helps = {"run": "run a seizure through the seizure_pipeline DAG (embedded, or through the REST API of CASEFILE_AIRFLOW_URL)",
             "rerun": "complete the seizure's last run: committed stages are kept, the failed one and those after it run again",
             "status": "each stage of the seizure's last run: committed or not (and the task state on a deployment)"}
    for name, func in (("run", cmd_run), ("rerun", cmd_rerun), ("status", cmd_status)):
        r = sub.add_parser(name, help=helps[name], description=helps[name])
        r.add_argument("--case", required=True, help="case id, [A-Za-z0-9][A-Za-z0-9_.-]*")
        r.add_argument("--seizure", required=True, help="seizure id, same form")
        if name == "run":
            r.add_argument("--evidence", required=True, help="folder of seized files (checked first: it must exist and hold a file)")
            r.add_argument("--seizure-date", default="", help="YYYY-MM-DD")
            r.add_argument("--logical-date", default="", help="ISO date-time of the Airflow run (default: now, UTC; no zone given: UTC)")
        if name in ("run", "rerun"):
            r.add_argument("--ground-truth", default="", help="compare the summary with a generator's ground_truth.json "
                           "(and score probable duplicates against the linkage_truth.csv beside it)")
            r.add_argument("--no-wait", action="store_true", help="deployment mode: return once triggered")
        if name == "rerun":
            r.add_argument("--apply-review", action="store_true", help="run deduplicate and export again with the review decisions (casefile review)")
        if name in ("run", "rerun"):
            r.add_argument("--lang", choices=REPORT_LANGUAGES, default=None, help=LANG_HELP + (
                "" if name == "run" else "; for a stage this rerun renders again (embedded mode; a deployment's run keeps the language it was triggered with)"))
        r.set_defaults(func=func)
    rv = sub.add_parser("review", help="serve the seizure's review page on 127.0.0.1 (the printed URL carries a one-time token); "
                        "'review export FILE.xlsx' / 'review import FILE.xlsx': the same queue as an Excel sheet")
    rv.add_argument("action", nargs="?", choices=("serve", "export", "import"), default="serve",
                    help="serve the page (default), export the queue to FILE, or import the decisions of FILE")
    rv.add_argument("file", nargs="?", default="", help="the .xlsx sheet (export: written, must not exist; import: read)")
    rv.add_argument("--reviewer", default="", help="import: the reviewer of rows whose reviewer column is empty")
    rv.add_argument("--case", required=True, help="case id")
    rv.add_argument("--seizure", required=True, help="seizure id")
    rv.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    rv.add_argument("--band", type=float, default=None, help="bits either side of the threshold weight (default: the report's near-threshold band)")
    rv.add_argument("--seed", type=int, default=20170601, help="seed of the random samples")
    rv.add_argument("--confidence", type=float, default=0.95)
    rv.add_argument("--margin", type=float, default=0.05)
    rv.add_argument("--lang", "--language", dest="language", default="zh-CN", choices=REPORT_LANGUAGES,
                    help="the page's and the sheet's language: zh-CN (default) or en")
    rv.set_defaults(func=cmd_review)
    pl = sub.add_parser("pull", help="copy the seizure's latest case file to --dest and verify it (SHA256SUMS and manifest.json)")
    pl.add_argument("--case", required=True)
    pl.add_argument("--seizure", required=True)
    pl.add_argument("--dest", required=True, help="an empty or new folder")
    pl.set_defaults(func=cmd_pull)
    v = sub.add_parser("verify", help="check a case file folder against its SHA256SUMS and manifest.json",
                       description="Check a case file folder: every SHA256SUMS line inside the folder and matching its file, every "
                                   "manifest.json hash matching its file and SHA256SUMS, no file unlisted, no symbolic link.")
    v.add_argument("dir")
    v.add_argument("--manifest-sha256", default="", help="the manifest.json SHA-256 recorded at hand-over (casefile run prints it)")
    v.set_defaults(func=cmd_verify)
    for name in JSON_COMMANDS:
        sub.choices[name].add_argument("--json", action="store_true", help="print the result as one JSON document on stdout")
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
    cr.add_argument("--lang", choices=REPORT_LANGUAGES, default=None, help=LANG_HELP)
    cr.set_defaults(func=cmd_case_report)
    return p


COMMANDS = ("synth", "run", "rerun", "status", "review", "pull", "verify", "airflow-init", "storage-init", "package", "case-report")


def _command_of(argv: list[str]) -> str:
    """The subcommand named in ``argv`` (for the prefix of an error line before parsing succeeded)."""
    first = next((a for a in argv if not a.startswith("-")), "")
    return first if first in COMMANDS else ""


def _internal_error(out: Output, exc: BaseException) -> int:
    """A bug: one line naming the exception type and where the traceback was written (casefile's
    own messages carry no record values; a library's might, so the message itself is not printed)."""
    import tempfile

    from jobs.common.config import casefile_home

    text = "".join(traceback.format_exception(exc))
    try:
        folder = casefile_home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="casefile-error-", suffix=".txt", dir=folder)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        where = f"traceback in {name}"
    except OSError:
        where = "the traceback could not be written"
    return out.error(ExitCode.INTERNAL, f"internal error ({type(exc).__name__}); {where}")


def main(argv: list[str] | None = None) -> int:
    """Run one ``casefile`` command.

    Args:
        argv: the arguments after the program name (default ``sys.argv[1:]``).

    Returns:
        An :class:`~jobs.cli.exitcodes.ExitCode`. Usage errors, things not found and every
        casefile error are one line on stderr (``casefile <command>: ...``) and, with ``--json``,
        also the JSON result; never a traceback. A bug writes its traceback to a file under
        ``CASEFILE_HOME/logs`` and names it; ``CASEFILE_DEBUG=1`` raises it instead.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_of(argv)
    out = Output(command, json_mode="--json" in argv and command in JSON_COMMANDS)
    try:
        args = build_parser(raise_usage_errors=True).parse_args(argv)
        args.output = out
        return int(args.func(args) or 0)
    except SystemExit as exc:  # --help and --version print, then exit 0
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else ExitCode.USAGE)
    except KeyboardInterrupt:
        return out.error(ExitCode.INTERRUPTED, "interrupted; casefile rerun continues a run from its last committed stage")
    except Exception as exc:
        code = exit_code_for(exc)
        if code == ExitCode.INTERNAL:
            import os

            if os.environ.get("CASEFILE_DEBUG") == "1":
                raise
            return _internal_error(out, exc)
        return out.error(code, str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
