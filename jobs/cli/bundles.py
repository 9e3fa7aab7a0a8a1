"""``casefile pull | verify | case-report``: the published case files, read back and checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobs.cli.admin import open_storage


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
    """Copy the latest bundle of a seizure and verify it (:func:`jobs.export.bundle.fetch_bundle`,
    the same fetch the case report uses)."""
    from jobs.common.errors import EvidenceIntegrityError
    from jobs.export.bundle import fetch_bundle

    dest = Path(args.dest)
    if dest.exists() and any(dest.iterdir()):
        print(f"casefile: destination {dest} is not empty")
        return 1
    try:
        bundle = fetch_bundle(open_storage(), args.case, args.seizure, dest)
    except EvidenceIntegrityError as exc:
        print(f"casefile pull: {exc}")
        return 1
    print(f"casefile pull: {args.case}/{args.seizure} run {bundle.run_key} → {dest} (verified)")
    return 0


def cmd_case_report(args: argparse.Namespace) -> int:
    """Case report over the latest verified bundle of every seizure of a case (jobs.case_report.job)."""
    from jobs.case_report.job import make_case_report
    from jobs.common.errors import CasefileError

    try:
        out = make_case_report(args.case, storage=open_storage(), roles_file=Path(args.roles) if args.roles else None,
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
