"""Every storage location casefile uses is built here and only here.

Layout (ARCHITECTURE.md), keys relative to a store (``evidence``, ``work``, ``casefiles``):

- ``evidence``: ``<case>/<seizure>/<item path>`` — originals, write-once, read-only.
- ``work``: ``<case>/<seizure>/<run>/<stage>/data/<dataset>`` (committed Parquet) and
  ``<case>/<seizure>/<run>/<stage>/_COMMITTED.json`` (the commit marker and stage manifest);
  ``<case>/<seizure>/<run>/run.json`` records how the run was started, for reruns.
- ``casefiles``: ``<case>/<seizure>/<run>/...`` (the bundle) and ``<case>/<seizure>/latest``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobs.common.errors import ConfigError

STAGES: tuple[str, ...] = ("intake", "normalize", "deduplicate", "export")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


def check_id(kind: str, value: str) -> str:
    """Refuse identifiers that could escape their folder (``..``, ``/``, spaces...).

    Raises:
        ConfigError: the identifier is not ``[A-Za-z0-9][A-Za-z0-9_.-]*``.
    """
    if not _ID.match(value or "") or ".." in value:
        raise ConfigError(f"{kind} must match [A-Za-z0-9][A-Za-z0-9_.-]* (got {value!r})")
    return value


def run_key(run_id: str) -> str:
    """Folder name of an Airflow run id (``manual__2026-11-29T14:00:00+00:00`` → ``manual__2026-11-29T14-00-00-00-00``)."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "-", run_id)


@dataclass(frozen=True)
class RunContext:
    """Which case, seizure and run a stage works on."""

    case_id: str
    seizure_id: str
    run_id: str

    def __post_init__(self) -> None:
        check_id("case_id", self.case_id)
        check_id("seizure_id", self.seizure_id)

    @property
    def run_key(self) -> str:
        return run_key(self.run_id)


def evidence_prefix(case_id: str, seizure_id: str) -> str:
    return f"{check_id('case_id', case_id)}/{check_id('seizure_id', seizure_id)}"


def check_item_path(path: str) -> str:
    """Refuse an evidence item path that is not a plain relative path of valid text: empty, ``/``
    at the start, a ``.``/``..``/empty component, a NUL, or a lone surrogate (a file name that was
    not decoded: ``jobs.intake.evidence.name_forms`` gives its readable form first).

    Raises:
        ConfigError: naming the problem (never silently rewritten).
    """
    if not path or path.startswith("/") or "\x00" in path or any(p in ("", ".", "..") for p in path.split("/")):
        raise ConfigError(f"evidence item path is not a plain relative path: {path!r}")
    try:
        path.encode("utf-8", errors="strict")
    except UnicodeEncodeError as exc:
        raise ConfigError(f"evidence item path is not valid text: {path.encode('utf-8', 'backslashreplace')!r}") from exc
    return path


def run_prefix(ctx: RunContext) -> str:
    return f"{ctx.case_id}/{ctx.seizure_id}/{ctx.run_key}"


def run_record(ctx: RunContext) -> str:
    return f"{run_prefix(ctx)}/run.json"


def runs_prefix(case_id: str, seizure_id: str) -> str:
    return evidence_prefix(case_id, seizure_id)


def stage_prefix(ctx: RunContext, stage: str) -> str:
    if stage not in STAGES:
        raise ConfigError(f"unknown stage {stage!r}")
    return f"{run_prefix(ctx)}/{stage}"


def stage_data(ctx: RunContext, stage: str, dataset: str = "") -> str:
    base = f"{stage_prefix(ctx, stage)}/data"
    return f"{base}/{dataset}" if dataset else base


def stage_attempt(ctx: RunContext, stage: str) -> str:
    return f"{stage_prefix(ctx, stage)}/_attempt"


def stage_marker(ctx: RunContext, stage: str) -> str:
    return f"{stage_prefix(ctx, stage)}/_COMMITTED.json"


def casefile_prefix(ctx: RunContext) -> str:
    return run_prefix(ctx)


def casefile_attempt(ctx: RunContext) -> str:
    return f"{ctx.case_id}/{ctx.seizure_id}/.{ctx.run_key}.attempt"


def latest_pointer(case_id: str, seizure_id: str) -> str:
    return f"{evidence_prefix(case_id, seizure_id)}/latest"


# Control objects of the scheduled intake (``seizure_intake_watch``). Case ids start with a letter
# or digit, so the ``_ready`` prefix can never collide with a case folder.
READY_PREFIX = "_ready"


def ready_marker(case_id: str, seizure_id: str) -> str:
    """``evidence`` key of the marker an uploader writes last: the seizure is complete."""
    return f"{READY_PREFIX}/{evidence_prefix(case_id, seizure_id)}/READY"


def parse_ready_marker(key: str) -> tuple[str, str] | None:
    """``(case_id, seizure_id)`` of a ready-marker key, or ``None`` for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != READY_PREFIX or parts[3] != "READY":
        return None
    try:
        return check_id("case_id", parts[1]), check_id("seizure_id", parts[2])
    except ConfigError:
        return None


def watch_record(case_id: str, seizure_id: str) -> str:
    """``work`` key recording that the watch started the seizure's pipeline run (never twice)."""
    return f"{evidence_prefix(case_id, seizure_id)}/intake_watch.json"


def watch_run_id(case_id: str, seizure_id: str) -> str:
    """The one Airflow run id the watch gives a seizure (``~`` cannot occur in ids, so it is unique)."""
    return f"intake_watch__{check_id('case_id', case_id)}~{check_id('seizure_id', seizure_id)}"


def review_prefix(case_id: str, seizure_id: str) -> str:
    """``work`` store: ``<case>/<seizure>/review`` — the seizure's review decisions (issue 17),
    outside every run folder (they outlive a run) and never next to the originals."""
    return f"{evidence_prefix(case_id, seizure_id)}/review"


def review_entry(case_id: str, seizure_id: str, seq: int) -> str:
    """``work`` store: ``<case>/<seizure>/review/decisions/<seq, 8 digits>.json``, one write-once object per decision."""
    return f"{review_prefix(case_id, seizure_id)}/decisions/{seq:08d}.json"


def review_head(case_id: str, seizure_id: str) -> str:
    """``work`` store: ``<case>/<seizure>/review/head.json``: the number of decisions and the SHA-256 of the last one."""
    return f"{review_prefix(case_id, seizure_id)}/head.json"
