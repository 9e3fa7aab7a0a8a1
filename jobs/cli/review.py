"""``casefile review --case C --seizure S``: the local review page of a seizure (issue 17);
``casefile review export|import FILE.xlsx``: the same queue as an Excel sheet and its decisions read
back (:mod:`jobs.review.sheet`); ``casefile rerun --apply-review``: deduplicate and export run again
with the decisions (published under their own run key: :mod:`jobs.review.custody`).

The queue is computed from the seizure's latest published case file (verified as ``casefile pull``
does). The page listens on 127.0.0.1 only; the URL it prints carries a one-time token. Only ids and
counts are printed, never a record value.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

from jobs.cli.admin import open_storage
from jobs.cli.console import Output
from jobs.cli.exitcodes import ExitCode, NotFoundError, UsageError
from jobs.common import paths
from jobs.common.errors import CasefileError, EvidenceIntegrityError


def _rows(path: Path) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _run_json(storage, bundle, case_id: str, seizure_id: str, stage: str, name: str | None = None) -> dict:
    """A JSON document of the bundle's run in the work store (``name`` under the stage's data, or its
    ``_COMMITTED.json`` manifest); ``{}`` when the work store no longer has it."""
    from jobs.common.custody import read_stage_manifest

    manifest = json.loads((bundle.folder / "manifest.json").read_text(encoding="utf-8"))
    ctx = paths.RunContext(case_id, seizure_id, manifest["run_id"])
    try:
        if name is None:
            return read_stage_manifest(storage, ctx, stage)
        return json.loads(storage.read_bytes("work", f"{paths.stage_data(ctx, stage)}/{name}"))
    except (OSError, KeyError, ValueError, CasefileError):
        return {}


def load_queue(storage, case_id: str, seizure_id: str, *, band: float | None, seed: int, confidence: float, margin: float,
               raw: bool = True):
    """The review queue of the seizure's latest case file (:func:`jobs.review.queue.build_queue`), each
    pair with its fields (values, level, weight from the run's fitted model: :func:`jobs.review.pairs.pair_fields`)
    and ``content_sha256`` (:func:`jobs.review.sheet.item_digest`), each sampled record with its
    locator and, with ``raw``, its raw line read again from the original (:func:`jobs.review.rawline.raw_lines`).

    Raises:
        NotFoundError: no published case file.
        EvidenceIntegrityError: an original changed since registration.
    """
    from jobs.common.config import load_config
    from jobs.export.bundle import fetch_bundle
    from jobs.review.pairs import pair_fields, weight_sum
    from jobs.review.queue import QueueSettings, build_queue
    from jobs.review.rawline import raw_lines
    from jobs.review.sheet import item_digest

    with tempfile.TemporaryDirectory(prefix="casefile-review-") as tmp:
        try:
            bundle = fetch_bundle(storage, case_id, seizure_id, Path(tmp))
        except EvidenceIntegrityError as exc:
            raise NotFoundError(str(exc)) from None
        links = [r for r in _rows(bundle.folder / "duplicates.csv") if r.get("reason") == "probable_duplicate"]
        records = _rows(bundle.folder / "records.csv")
        s = bundle.summary
        linkage = _run_json(storage, bundle, case_id, seizure_id, "deduplicate", "counts.json").get("linkage", {})
        intake_settings = _run_json(storage, bundle, case_id, seizure_id, "intake").get("intake_settings")
    lo = s["lower_bound"]
    lk = s.get("linkage", {})
    settings = QueueSettings(threshold_weight=float(lk.get("threshold_match_weight") or 0.0),
                             band=float(band if band is not None else (lk.get("near_threshold_band_weight") or 1.0)),
                             seed=seed, confidence=confidence, margin=margin)
    thresholds = {k: float(v["threshold"]) for k, v in lo["categories"].items()}
    model = linkage.get("model")
    comparisons = (linkage.get("settings") or {}).get("comparisons") or [
        {"name": c[len("level_"):], "column": c[len("level_"):], "levels": []} for c in sorted(links[0] if links else {}) if c.startswith("level_")]
    by_id = {r["record_id"]: r for r in records}
    queue = build_queue(links, records, thresholds, float(lo["weighted_total"]), bool(s.get("tier_depends_on_probable_duplicates")), settings)
    link_of = {(r["record_id"], r["linked_record_id"]): r for r in links}
    for p in queue.pairs:  # field by field, for the page and the sheet only (never printed)
        link = link_of.get((p["record_id"], p["linked_record_id"]), {})
        p["fields"] = pair_fields(link, by_id.get(p["record_id"], {}), by_id.get(p["linked_record_id"], {}), model, comparisons)
        p["prior_weight"] = model.get("prior_weight") if model else None
        p["weight_sum"] = weight_sum(p["fields"], model) if model else None
    lines = raw_lines(storage, case_id, seizure_id, [by_id[r["record_id"]] for r in queue.records if r["record_id"] in by_id],
                      load_config().synonyms, intake_settings) if raw else {}
    for r in queue.records:
        rec = by_id.get(r["record_id"], {})
        r.update(item_path=rec.get("item_path", ""), sheet=rec.get("sheet", ""), line_number=rec.get("line_number", ""),
                 raw_line=lines.get(r["record_id"]))
        r["locator"] = " ".join(x for x in (r["item_path"], r["sheet"], r["line_number"]) if x)
    for item in (*queue.pairs, *queue.records):
        item["content_sha256"] = item_digest(item)
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


def _sheet(args, out: Output, storage, queue, log) -> int:
    """``review export FILE`` / ``review import FILE`` (:mod:`jobs.review.sheet`). Prints counts and row numbers only."""
    from jobs.review.sheet import SheetImportError, export_sheet, import_sheet

    if not args.file:
        raise UsageError(f"casefile review {args.action} needs the .xlsx file")
    path = Path(args.file)
    if args.action == "export":
        if path.exists():
            raise UsageError(f"{path} exists: give a new file name (a sheet is never overwritten)")
        if path.suffix.lower() != ".xlsx":
            raise UsageError(f"{path}: the sheet must end in .xlsx")
        counts = export_sheet(queue, path, case_id=args.case, seizure_id=args.seizure, language=args.language)
        out.say(f"casefile review export: {counts['pairs']} links and {counts['records']} records → {path}")
        out.result({"ok": True, "exit_code": 0, "file": str(path), **counts})
        return ExitCode.OK
    try:
        res = import_sheet(path, queue, log, reviewer=args.reviewer)
    except SheetImportError as exc:
        for p in exc.problems:
            out.say(f"  {p['sheet']} row {p['row']}: {p['code']}: {p['message']}")
        return out.error(ExitCode.CONFIG, str(exc), problems=exc.problems)
    out.say(f"casefile review import: {res.rows} rows: {len(res.appended)} decisions appended "
            f"({'entries ' + str(res.appended[0]) + '–' + str(res.appended[-1]) if res.appended else 'none'}), "
            f"{res.already_in_log} already in the log, {res.undecided} undecided")
    out.result({"ok": True, "exit_code": 0, "rows": res.rows, "appended": res.appended, "already_in_log": res.already_in_log,
                "undecided": res.undecided})
    return ExitCode.OK


def cmd_review(args) -> int:
    out: Output = args.output
    from jobs.cli.preflight import check_ids
    from jobs.review.decisions import DecisionLog
    from jobs.review.web import HOST, create_app, new_token, serve

    check_ids(args.case, args.seizure)
    storage = open_storage()
    action = getattr(args, "action", "serve")
    queue = load_queue(storage, args.case, args.seizure, band=args.band, seed=args.seed, confidence=args.confidence, margin=args.margin,
                       raw=action != "import")
    log = DecisionLog(storage, args.case, args.seizure)
    log.entries()
    if action in ("export", "import"):
        return _sheet(args, out, storage, queue, log)

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
