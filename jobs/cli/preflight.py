"""Checks ``casefile`` makes before it starts anything (no Airflow, no storage write, no upload).

Each failure is a :class:`~jobs.cli.exitcodes.CliError` whose message is one line naming the
argument and the path or value at fault; :func:`jobs.cli.main` prints it and returns its exit
code. Without these, a missing evidence folder was found only inside Airflow's intake task after
about 90 s, and an empty one was accepted silently (issue 13 defect 14).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

from jobs.cli.exitcodes import NoEvidenceError, NotFoundError, UsageError
from jobs.common import paths
from jobs.common.errors import ConfigError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_ids(case_id: str, seizure_id: str | None = None) -> None:
    """Refuse a case or seizure id that :func:`jobs.common.paths.check_id` refuses.

    Raises:
        UsageError: ``bad --case id '…': …``.
    """
    for option, kind, value in (("--case", "case_id", case_id), ("--seizure", "seizure_id", seizure_id)):
        if value is None:
            continue
        try:
            paths.check_id(kind, value)
        except ConfigError as exc:
            raise UsageError(f"bad {option} id: {exc}") from None


def check_logical_date(text: str) -> str:
    """The ``--logical-date`` as Airflow will see it: ISO 8601, a time zone added (UTC) when none
    is given, as :func:`jobs.orchestration.embedded.main` adds it, so the run id the client derives
    (:func:`~jobs.orchestration.embedded.manual_run_id`) is the one Airflow creates.

    Raises:
        UsageError: not an ISO 8601 date or date-time.
    """
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad --logical-date {text!r}: expected an ISO 8601 date-time such as 2026-01-01T00:00:00+00:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.isoformat()


def check_seizure_date(text: str) -> str:
    """``--seizure-date``: empty, or a real calendar date written ``YYYY-MM-DD``.

    Raises:
        UsageError: any other form, or a day that does not exist (``2026-02-30``).
    """
    if not text:
        return ""
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad --seizure-date {text!r}: expected YYYY-MM-DD, a real date") from None
    return text


def check_input_file(option: str, path: str) -> Path:
    """A file the command will read at the end (``--ground-truth``, ``--roles``): it must exist now.

    Raises:
        NotFoundError: it does not exist.
        UsageError: it is not a regular file.
    """
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"{option} {p} does not exist")
    if not p.is_file():
        raise UsageError(f"{option} {p} is not a file")
    return p


def check_evidence_folder(path: str) -> Path:
    """The ``--evidence`` folder: it exists, is a folder, can be read, and holds at least one
    regular file (symbolic links, FIFOs, sockets and devices do not count: intake refuses them).
    The walk stops at the first regular file, so a large seizure is not listed twice.

    Returns:
        The folder, resolved.

    Raises:
        NotFoundError: the path does not exist (or is a broken link).
        UsageError: it is not a folder, or it cannot be read.
        NoEvidenceError: no regular file anywhere under it.
    """
    p = Path(path)
    if not p.exists():
        raise NotFoundError(f"evidence folder {p} does not exist")
    if not p.is_dir():
        raise UsageError(f"--evidence {p} is not a folder")
    folder = p.resolve()
    refused = 0

    def unreadable(exc: OSError) -> None:
        raise UsageError(f"cannot read evidence folder {folder}: {exc.strerror} ({exc.filename})")

    for root, dirs, files in os.walk(folder, onerror=unreadable):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            try:
                mode = os.lstat(os.path.join(root, name)).st_mode
            except OSError as exc:
                unreadable(exc)
            if stat.S_ISREG(mode):
                if not os.access(os.path.join(root, name), os.R_OK):
                    raise UsageError(f"cannot read evidence folder {folder}: a file is not readable ({os.path.join(root, name)})")
                return folder
            refused += 1
    if refused:
        raise NoEvidenceError(f"evidence folder {folder} holds no regular file: {refused} symbolic link(s) or special file(s), "
                              "which intake refuses")
    raise NoEvidenceError(f"evidence folder {folder} is empty: no file to register")
