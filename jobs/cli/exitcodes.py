"""The exit codes of ``casefile`` and the errors that choose them.

One code per kind of outcome, so that a script (``make run``, ``bench/run.py``, a shell pipeline)
can tell a user's mistake from a failed run or a broken seal without reading the text. ``2`` for a
usage error follows argparse and most Unix tools; ``70`` (``EX_SOFTWARE``) and ``130`` (128 +
SIGINT) follow ``sysexits.h`` and the shell. The table in the README and ``casefile --help`` is
generated from :data:`EXIT_CODE_HELP`.
"""

from __future__ import annotations

from enum import IntEnum

from jobs.common.errors import CasefileError, ConfigError, EvidenceIntegrityError, StorageError
from jobs.orchestration.rest import AirflowApiError


class ExitCode(IntEnum):
    """What ``casefile`` returns (see :data:`EXIT_CODE_HELP` for when)."""

    OK = 0
    RUN_FAILED = 1
    USAGE = 2
    VERIFICATION_FAILED = 3
    NOT_FOUND = 4
    NO_EVIDENCE = 5
    GROUND_TRUTH_MISMATCH = 6
    REMOTE_FAILED = 7
    CONFIG = 8
    INTERNAL = 70
    INTERRUPTED = 130


#: One line per code: when ``casefile`` returns it.
EXIT_CODE_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "success (a run published its case file; a bundle verified)",
    ExitCode.RUN_FAILED: "the run did not complete: a stage has no committed output (fix the cause, then casefile rerun)",
    ExitCode.USAGE: "usage error: unknown option, missing argument, bad case/seizure id or date, --evidence not a folder, --dest not empty",
    ExitCode.VERIFICATION_FAILED: "a seal is broken: a bundle does not match its SHA256SUMS/manifest.json, or stored evidence differs",
    ExitCode.NOT_FOUND: "not found: evidence folder, --ground-truth file, verify folder, or no run / case file for that case and seizure",
    ExitCode.NO_EVIDENCE: "the evidence folder holds no regular file (empty, or only links/special files that intake refuses)",
    ExitCode.GROUND_TRUTH_MISMATCH: "the run completed but a count differs from --ground-truth (the differences are printed)",
    ExitCode.REMOTE_FAILED: "the Airflow API or the object store refused or failed (after its retries)",
    ExitCode.CONFIG: "invalid configuration (configs/*.yaml or CASEFILE_* environment)",
    ExitCode.INTERNAL: "internal error: a bug; the traceback is in the file the message names",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); casefile rerun continues a run from its last committed stage",
}


def exit_code_table() -> str:
    """The codes as ``code  NAME  when`` lines, for ``--help`` and the README."""
    return "\n".join(f"  {int(c):>3}  {c.name:<22} {EXIT_CODE_HELP[c]}" for c in ExitCode)


class CliError(CasefileError):
    """An error ``casefile`` reports as one line and returns as :attr:`exit_code`."""

    exit_code: ExitCode = ExitCode.USAGE


class UsageError(CliError):
    """The command line asks for something impossible (a bad id or date, a file where a folder is needed)."""

    exit_code = ExitCode.USAGE


class NotFoundError(CliError):
    """What the command names does not exist (a folder, a file, a run, a case file)."""

    exit_code = ExitCode.NOT_FOUND


class NoEvidenceError(CliError):
    """The evidence folder has nothing intake could register."""

    exit_code = ExitCode.NO_EVIDENCE


class VerificationFailed(CliError):
    """A bundle or stored evidence does not match its seals."""

    exit_code = ExitCode.VERIFICATION_FAILED


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code of an exception that reached :func:`jobs.cli.main`.

    :class:`CliError` carries its own; casefile's errors map by kind (a broken seal, storage,
    configuration); an HTTP error of the Airflow client (``httpx``) or the Airflow API is
    :attr:`ExitCode.REMOTE_FAILED`; anything else is a bug, :attr:`ExitCode.INTERNAL`.
    """
    if isinstance(exc, CliError):
        return exc.exit_code
    if isinstance(exc, EvidenceIntegrityError):
        return ExitCode.VERIFICATION_FAILED
    if isinstance(exc, StorageError):
        return ExitCode.REMOTE_FAILED
    if isinstance(exc, ConfigError):
        return ExitCode.CONFIG
    if isinstance(exc, AirflowApiError) or type(exc).__module__.split(".")[0] in ("httpx", "httpcore", "minio", "urllib3"):
        return ExitCode.REMOTE_FAILED
    if isinstance(exc, CasefileError):
        return ExitCode.RUN_FAILED
    return ExitCode.INTERNAL


class RemoteError(CliError):
    """The deployment (Airflow API, object store) did not answer as needed, e.g. a run still going at the timeout."""

    exit_code = ExitCode.REMOTE_FAILED
