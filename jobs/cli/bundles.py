"""``casefile pull | verify | case-report``: the published case files, read back and checked."""

from __future__ import annotations

import argparse
from pathlib import Path

from jobs.cli.admin import open_storage
from jobs.cli.console import Output
from jobs.cli.exitcodes import ExitCode, NotFoundError, UsageError
from jobs.cli.preflight import check_ids, check_input_file
from jobs.common.custody import BundleCheck, check_bundle


def verify_bundle(folder: Path, *, manifest_sha256: str = "") -> BundleCheck:
    """Check a case file folder against its ``SHA256SUMS`` and ``manifest.json``
    (:func:`jobs.common.custody.check_bundle`) and, when ``manifest_sha256`` is given (the digest
    recorded when the case file was handed over), that ``manifest.json`` is that very file.

    Returns:
        The check; a different manifest digest is one more problem.
    """
    check = check_bundle(Path(folder))
    expected = manifest_sha256.strip().lower()
    if expected and check.manifest_sha256 and check.manifest_sha256 != expected:
        check = BundleCheck(check.folder, (*check.problems, f"manifest.json: sha256 {check.manifest_sha256} is not the expected {expected}"),
                            check.files_checked, check.manifest_sha256, check.sha256sums_sha256)
    return check


def _show_check(out: Output, check: BundleCheck, label: str) -> None:
    if check.ok:
        out.say(f"casefile {label}: OK ({check.folder}): {check.files_checked} files match SHA256SUMS and manifest.json; "
                f"manifest.json SHA-256 {check.manifest_sha256}")
    else:
        out.say(f"casefile {label}: FAILED ({check.folder}): {len(check.problems)} problem(s)\n  " + "\n  ".join(check.problems))


def cmd_verify(args: argparse.Namespace) -> int:
    out: Output = args.output
    folder = Path(args.dir)
    if not folder.exists():
        raise NotFoundError(f"folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder (give the case file's folder)")
    if args.manifest_sha256 and len(args.manifest_sha256.strip()) != 64:
        raise UsageError("--manifest-sha256 must be 64 hex digits")
    check = verify_bundle(folder, manifest_sha256=args.manifest_sha256)
    _show_check(out, check, "verify")
    code = ExitCode.OK if check.ok else ExitCode.VERIFICATION_FAILED
    out.result({**check.to_dict(), "exit_code": int(code), "exit_name": code.name})
    return code


def cmd_pull(args: argparse.Namespace) -> int:
    """Copy the latest bundle of a seizure and verify it (:func:`jobs.export.bundle.fetch_bundle`,
    the same fetch the case report uses, then :func:`verify_bundle`, which also requires the manifest)."""
    from jobs.common import paths
    from jobs.common.errors import EvidenceIntegrityError
    from jobs.export.bundle import fetch_bundle

    out: Output = args.output
    check_ids(args.case, args.seizure)
    dest = Path(args.dest)
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"--dest {dest} is a file, not a folder")
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"--dest {dest} is not empty")
    storage = open_storage()
    if not storage.exists("casefiles", paths.latest_pointer(args.case, args.seizure)):
        raise NotFoundError(f"no published case file for {args.case}/{args.seizure}")
    doc = {"case_id": args.case, "seizure_id": args.seizure, "dest": str(dest)}
    try:
        bundle = fetch_bundle(storage, args.case, args.seizure, dest)
    except EvidenceIntegrityError as exc:
        code = ExitCode.VERIFICATION_FAILED
        return out.error(code, f"{exc} (the copy in {dest} must not be used)", **doc)
    check = verify_bundle(dest)
    doc.update(run=bundle.run_key, verification=check.to_dict())
    _show_check(out, check, "pull")
    if not check.ok:
        out.say(f"casefile pull: the copy in {dest} must not be used")
        code = ExitCode.VERIFICATION_FAILED
    else:
        out.say(f"casefile pull: {args.case}/{args.seizure} run {bundle.run_key} → {dest} (verified)")
        code = ExitCode.OK
    out.result({**doc, "ok": check.ok, "exit_code": int(code), "exit_name": code.name})
    return code


def cmd_case_report(args: argparse.Namespace) -> int:
    """Case report over the latest verified bundle of every seizure of a case (jobs.case_report.job)."""
    from jobs.case_report.job import case_seizures, make_case_report

    out: Output = args.output
    check_ids(args.case)
    if args.roles:
        check_input_file("--roles", args.roles)
    if args.dest and Path(args.dest).exists() and (not Path(args.dest).is_dir() or any(Path(args.dest).iterdir())):
        raise UsageError(f"--dest {args.dest} is not an empty folder")
    storage = open_storage()
    if not case_seizures(storage, args.case):
        raise NotFoundError(f"no published case file in case {args.case} (unknown case, or no seizure of it has finished)")
    from jobs.common.config import load_config

    config = load_config({"report_language": args.lang} if getattr(args, "lang", None) else None)
    result = make_case_report(args.case, storage=storage, config=config, roles_file=Path(args.roles) if args.roles else None,
                              dest=Path(args.dest) if args.dest else None)
    s = result["summary"]
    out.say(f"casefile case-report: {args.case}: {len(s['seizures'])} seizure(s) → {result['location']}")
    for suspect, d in s["suspects"].items():
        u, lo = d["upper_bound"], d["lower_bound"]
        out.say(f"  suspect {suspect}: art. 11 count {lo['art11_count']:,}–{u['art11_count']:,} → {lo['tier']} / {u['tier']}")
    out.say(f"  cross-seizure overlap rows {s['overlap_rows']:,}")
    return ExitCode.OK
