"""``casefile review --case C --seizure S``: the local review page of a seizure (issue 17), and
``casefile rerun --apply-review``: deduplicate and export run again with the decisions.

The queue is computed from the seizure's latest published case file (verified as ``casefile pull``
does). The page listens on 127.0.0.1 only; the URL it prints carries a one-time token. Only ids and
counts are printed, never a record value.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from pathlib import Path

from jobs.cli.admin import open_storage
from jobs.cli.console import Output
from jobs.cli.exitcodes import ExitCode, NotFoundError
from jobs.common import paths
from jobs.common.errors import EvidenceIntegrityError


def _rows(path: Path) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def load_queue(storage, case_id: str, seizure_id: str, *, band: float | None, seed: int, confidence: float, margin: float):
    """The review queue of the seizure's latest case file (:func:`jobs.review.queue.build_queue`).

    Raises:
        NotFoundError: no published case file.
    """
    from jobs.export.bundle import fetch_bundle
    from jobs.review.queue import QueueSettings, build_queue

    with tempfile.TemporaryDirectory(prefix="casefile-review-") as tmp:
        try:
            bundle = fetch_bundle(storage, case_id, seizure_id, Path(tmp))
        except EvidenceIntegrityError as exc:
            raise NotFoundError(str(exc)) from None
        links = [r for r in _rows(bundle.folder / "duplicates.csv") if r.get("reason") == "probable_duplicate"]
        records = _rows(bundle.folder / "records.csv")
        s = bundle.summary
    lo = s["lower_bound"]
    lk = s.get("linkage", {})
    settings = QueueSettings(threshold_weight=float(lk.get("threshold_match_weight") or 0.0),
                             band=float(band if band is not None else (lk.get("near_threshold_band_weight") or 1.0)),
                             seed=seed, confidence=confidence, margin=margin)
    thresholds = {k: float(v["threshold"]) for k, v in lo["categories"].items()}
    fields = sorted(c[len("level_"):] for c in (links[0] if links else {}) if c.startswith("level_"))
    by_id = {r["record_id"]: r for r in records}
    queue = build_queue(links, records, thresholds, float(lo["weighted_total"]), bool(s.get("tier_depends_on_probable_duplicates")), settings)
    link_of = {(r["record_id"], r["linked_record_id"]): r for r in links}
    for p in queue.pairs:  # field by field, for the page only (never printed)
        link = link_of.get((p["record_id"], p["linked_record_id"]), {})
        left, right = by_id.get(p["record_id"], {}), by_id.get(p["linked_record_id"], {})
        p["fields"] = [{"name": f, "left": left.get(f, ""), "right": right.get(f, ""), "level": link.get(f"level_{f}", ""), "weight": ""} for f in fields]
    for r in queue.records:
        rec = by_id.get(r["record_id"], {})
        r["locator"] = " ".join(x for x in (rec.get("item_path", ""), rec.get("sheet", ""), rec.get("line_number", "")) if x)
    return queue


def apply_review_rerun(case_id: str, seizure_id: str, out: Output) -> None:
    """Make deduplicate and export of the latest run not committed, so that ``rerun`` runs them again with the decisions."""
    from jobs.cli.runs import _latest_or_fail

    record = _latest_or_fail(case_id, seizure_id, " to apply the review to")
    storage = open_storage()
    ctx = paths.RunContext(case_id, seizure_id, record["run_id"])
    from jobs.review.decisions import DecisionLog

    n = len(DecisionLog(storage, case_id, seizure_id).entries())  # a changed log stops here, naming the entry
    for stage in ("export", "deduplicate"):
        storage.delete_prefix("work", paths.stage_prefix(ctx, stage))
    out.say(f"casefile: applying {n} review decisions: deduplicate and export of {record['run_id']} run again")


def cmd_review(args) -> int:
    out: Output = args.output
    from jobs.cli.preflight import check_ids
    from jobs.review.decisions import DecisionLog
    from jobs.review.web import HOST, create_app, new_token, serve

    check_ids(args.case, args.seizure)
    storage = open_storage()
    queue = load_queue(storage, args.case, args.seizure, band=args.band, seed=args.seed, confidence=args.confidence, margin=args.margin)
    log = DecisionLog(storage, args.case, args.seizure)
    log.entries()

    def recompute() -> dict:
        import argparse

        from jobs.cli.runs import cmd_rerun

        rerun_out = Output("rerun")
        apply_review_rerun(args.case, args.seizure, rerun_out)
        code = cmd_rerun(argparse.Namespace(case=args.case, seizure=args.seizure, ground_truth="", no_wait=False, output=rerun_out))
        from jobs.export.bundle import fetch_bundle

        with tempfile.TemporaryDirectory() as tmp:
            s = fetch_bundle(open_storage(), args.case, args.seizure, Path(tmp)).summary
        return {"ok": code == 0, "exit_code": int(code), "weighted_total": s["weighted_total"], "tier": s["tier"],
                "lower_bound": {k: v["unique_records"] for k, v in s["lower_bound"]["categories"].items()},
                "untrue_records": s["untrue_records"], "probable_duplicate_records": s["probable_duplicate_records"],
                "review": s.get("review", {}).get("pairs"), "stale": len(s.get("review", {}).get("stale", []))}

    token = new_token()
    server = serve(create_app(queue, log, token, case_id=args.case, seizure_id=args.seizure, language=args.language, recompute=recompute), args.port)
    out.say(f"casefile review: {len(queue.pairs)} links and {len(queue.records)} records in the queue")
    print(f"http://{HOST}:{server.server_port}/?token={token}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return ExitCode.OK
