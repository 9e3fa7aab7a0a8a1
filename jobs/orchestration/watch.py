"""What the scheduled DAG ``seizure_intake_watch`` does, without Airflow (so it is testable alone).

An uploader puts every file of a seizure under ``evidence/<case>/<seizure>/`` and then, last, the
marker ``evidence/_ready/<case>/<seizure>/READY`` (empty, or JSON ``{"seizure_date": "YYYY-MM-DD"}``).
Half-uploaded seizures have no marker and are never seen.

Each seizure gets exactly one ``seizure_pipeline`` run, whose run id is a function of case and
seizure (:func:`jobs.common.paths.watch_run_id`): Airflow refuses a second run with the same id (the
trigger is skipped), however often the watch runs and whether the scheduler restarted in between;
after the trigger, ``work/<case>/<seizure>/intake_watch.json`` records it, so later watch runs do
not even try (and a wiped Airflow database does not start the seizure again).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jobs.common import paths
from jobs.common.config import load_config
from jobs.common.errors import ConfigError
from jobs.common.storage import Storage, get_storage

log = logging.getLogger("casefile")


def ready_seizures(storage: Storage | None = None) -> list[dict[str, Any]]:
    """Seizures with a READY marker and no watch record, as TriggerDagRunOperator arguments.

    Returns:
        ``[{"trigger_run_id": str, "conf": {"case_id", "seizure_id", "evidence": "", "seizure_date"}}]``,
        sorted by case and seizure.

    A marker that is not empty or ``{"seizure_date": "YYYY-MM-DD"}`` is logged and its seizure
    left out (until the marker is fixed); the other seizures go ahead.
    """
    storage = storage or get_storage(load_config())
    out = []
    for key in storage.list("evidence", paths.READY_PREFIX):
        ids = paths.parse_ready_marker(key)
        if ids is None:
            log.warning("intake watch: ignoring %s (not <case>/<seizure>/READY with valid ids)", key)
            continue
        case_id, seizure_id = ids
        if storage.exists("work", paths.watch_record(case_id, seizure_id)):
            continue
        try:
            seizure_date = _seizure_date(storage.read_bytes("evidence", key))
        except ConfigError as exc:  # one bad marker must not hold up the other seizures
            log.error("intake watch: %s/%s not started: %s", case_id, seizure_id, exc)
            continue
        out.append({"trigger_run_id": paths.watch_run_id(case_id, seizure_id),
                    "conf": {"case_id": case_id, "seizure_id": seizure_id, "evidence": "", "seizure_date": seizure_date}})
    log.info("intake watch: %d new ready seizure(s)", len(out))
    return out


def _seizure_date(marker: bytes) -> str:
    import datetime as dt

    text = marker.decode("utf-8", "replace").strip()
    if not text:
        return ""
    try:
        value = str(json.loads(text).get("seizure_date") or "")
        if value:
            dt.date.fromisoformat(value)
        return value
    except (ValueError, AttributeError) as exc:
        raise ConfigError("READY marker must be empty or JSON {\"seizure_date\": \"YYYY-MM-DD\"}") from exc


def record_triggered(triggered: list[dict[str, Any]], seen_at: str, storage: Storage | None = None) -> int:
    """Write the watch record and the run record (``run.json``, for ``casefile status/rerun/pull``)
    of every seizure whose run was started (or already existed).

    Args:
        triggered: what :func:`ready_seizures` returned.
        seen_at: ISO time of the watch run (its ``run_after``), the ordering key of ``run.json``.

    Returns:
        The number of seizures recorded.
    """
    storage = storage or get_storage(load_config())
    for entry in triggered:
        conf = entry["conf"]
        ctx = paths.RunContext(conf["case_id"], conf["seizure_id"], entry["trigger_run_id"])
        record = {"run_id": ctx.run_id, "logical_date": seen_at, "conf": conf, "started_by": "seizure_intake_watch"}
        body = json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")
        storage.write_bytes("work", paths.run_record(ctx), body)
        storage.write_bytes("work", paths.watch_record(ctx.case_id, ctx.seizure_id), body)
        log.info("intake watch: %s/%s → run %s", ctx.case_id, ctx.seizure_id, ctx.run_id)
    return len(triggered)
