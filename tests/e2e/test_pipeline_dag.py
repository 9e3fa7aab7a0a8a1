"""End to end through Airflow: a generated seizure → seizure_pipeline (four SparkSubmitOperator
tasks, local Spark, local-folder store, SQLite metadata) → a published, verified case file whose
counts equal the generator's ground truth; then a run failed on purpose in normalize, completed by
`casefile rerun` without running intake again, gives byte-identical data files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CASE, SEIZURE = "E2E-2026-0001", "S01"  # the reference run of tests/conftest.py
DATA_FILES = ["records.csv", "duplicates.csv", "quarantine.csv", "evidence_items.csv", "summary.json", "case_file.xlsx"]


def casefile(env, *args, check=True):
    proc = subprocess.run([sys.executable, "-m", "jobs.cli", *args], env=env, capture_output=True, text=True, timeout=1500)
    if check and proc.returncode != 0:
        raise AssertionError(f"casefile {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world(reference_run):
    """The reference seizure (tests/conftest.py): 3,000 records, seed 11, its home and env."""
    return reference_run


def bundle_of(home: Path, run_id: str) -> Path:
    from jobs.common.paths import run_key

    return home / "casefiles" / CASE / SEIZURE / run_key(run_id)


@pytest.fixture(scope="module")
def clean_run(reference_run):
    """The reference seizure's uninterrupted run through the DAG (logical date 2026-01-01)."""
    return {"proc": reference_run["proc"], "bundle": reference_run["bundle"]}


def test_summary_equals_ground_truth(world, clean_run):
    summary = json.loads((clean_run["bundle"] / "summary.json").read_text(encoding="utf-8"))
    truth = world["truth"]
    for key in ("raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records"):
        assert summary[key] == truth[key], key
    for cat in ("tier_50", "tier_500", "tier_5000"):
        assert summary["categories"][cat]["unique_records"] == truth["categories"][cat]["unique_records"], cat
        # issue 12: both bounds per category and every duplicate level, from the generator's bookkeeping
        assert summary["upper_bound"]["categories"][cat]["unique_records"] == truth["bounds"]["upper"][cat], cat
        assert summary["lower_bound"]["categories"][cat]["unique_records"] == truth["bounds"]["lower"][cat], cat
    assert {k: summary["duplicate_levels"][k] for k in truth["duplicate_levels"]} == truth["duplicate_levels"]
    assert truth["duplicate_levels"]["identical_rows"] > 0 and truth["duplicate_levels"]["kept_out_of_category"]["tier_50"] > 0
    assert "matches the generator's ground_truth.json" in clean_run["proc"].stdout


def test_injected_probable_duplicates_are_found(world, clean_run):
    """Issue 5 acceptance on a generator seizure: the typos and missing fields the generator
    injected (linkage_truth.csv, written while generating) are found with pairwise precision
    >= 0.99 and recall >= 0.95, and the headline tier is the lower bound's."""
    from jobs.evaluation.linkage_truth import evaluate_probable_duplicates

    m = evaluate_probable_duplicates(clean_run["bundle"] / "records.csv", world["sample"] / "linkage_truth.csv")
    assert m["unmatched_truth_records"] == 0 and m["true_pairs"] >= 50, m
    assert m["pairwise_precision"] >= 0.99 and m["pairwise_recall"] >= 0.95, m
    summary = json.loads((clean_run["bundle"] / "summary.json").read_text(encoding="utf-8"))
    import csv

    with open(clean_run["bundle"] / "records.csv", encoding="utf-8-sig", newline="") as fh:
        linked = sum(1 for r in csv.DictReader(fh) if r["probable_survivor_record_id"] not in ("", r["record_id"]))
    assert summary["probable_duplicate_records"] == linked > 0
    assert (summary["tier"], summary["weighted_total"]) == (summary["lower_bound"]["tier"], summary["lower_bound"]["weighted_total"])
    assert "probable duplicates vs the generator's linkage_truth.csv: precision" in clean_run["proc"].stdout


def test_bundle_files_and_verify(world, clean_run):
    bundle = clean_run["bundle"]
    for name in [*DATA_FILES, "manifest.json", "summary.html", "SHA256SUMS"]:
        assert (bundle / name).is_file(), name
    assert (bundle / "records.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert sorted(p.name for p in (bundle / "validation").iterdir()) == sorted(
        f"{s}.json" for s in ("raw_records", "quarantine", "records", "duplicate_links", "unique_records", "casefile_records"))
    assert casefile(world["env"], "verify", str(bundle)).returncode == 0
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    items = {i["path"]: i["sha256"] for i in manifest["evidence_items"]}
    # Originals are the files of the sample; archive members (``<archive>/<member>``) are items too.
    originals = {p: d for p, d in items.items() if (world["sample"] / "evidence" / p).is_file()}
    assert sorted(originals) == sorted(p.name for p in (world["sample"] / "evidence").iterdir())
    assert all(any(p.startswith(f"{o}/") for o in originals) for p in items if p not in originals)
    for path, digest in originals.items():
        assert sha256(world["sample"] / "evidence" / path) == digest
    ledgers = manifest["ledgers"]
    assert ledgers["intake"]["records_in"] == world["truth"]["raw_rows"]
    assert ledgers["deduplicate"]["records_in"] == ledgers["deduplicate"]["records_out"] + ledgers["deduplicate"]["duplicates"]
    # the original evidence in the store is read-only and unchanged
    for path, digest in originals.items():
        stored = world["home"] / "evidence" / CASE / SEIZURE / path
        assert sha256(stored) == digest and not stored.stat().st_mode & 0o222


def test_fail_then_rerun_is_byte_identical(world, clean_run):
    env_fail = {**world["env"], "CASEFILE_FAIL_STAGE": "normalize"}
    failed = casefile(env_fail, "run", "--case", CASE, "--seizure", SEIZURE, "--evidence", str(world["sample"] / "evidence"),
                      "--logical-date", "2026-01-02T00:00:00+00:00", "--seizure-date", "2026-01-01", check=False)
    assert failed.returncode == 1
    assert "stage 'normalize' has no committed output" in failed.stdout
    status = casefile(world["env"], "status", "--case", CASE, "--seizure", SEIZURE).stdout
    assert "intake       committed" in status and "normalize    not committed" in status
    intake_marker = world["home"] / "work" / CASE / SEIZURE / "manual__2026-01-02T00-00-00-00-00" / "intake" / "_COMMITTED.json"
    before = intake_marker.stat().st_mtime_ns

    rerun = casefile(world["env"], "rerun", "--case", CASE, "--seizure", SEIZURE)
    assert "stage intake:" not in rerun.stdout  # the intake application did not start again
    assert intake_marker.stat().st_mtime_ns == before
    second = bundle_of(world["home"], "manual__2026-01-02T00:00:00+00:00")
    for name in DATA_FILES:
        assert sha256(second / name) == sha256(clean_run["bundle"] / name), name
    # the validation reports are bundle files too: no wall-clock value in them (GX's ge_load_time)
    reports = sorted(p.relative_to(second).as_posix() for p in (second / "validation").iterdir())
    assert reports == sorted(p.relative_to(clean_run["bundle"]).as_posix() for p in (clean_run["bundle"] / "validation").iterdir())
    for name in reports:
        assert sha256(second / name) == sha256(clean_run["bundle"] / name), name
    assert casefile(world["env"], "verify", str(second)).returncode == 0


def test_pull_copies_and_verifies_latest(world, clean_run, tmp_path):
    dest = tmp_path / "pulled"
    out = casefile(world["env"], "pull", "--case", CASE, "--seizure", SEIZURE, "--dest", str(dest)).stdout
    assert "(verified)" in out
    assert (dest / "SHA256SUMS").is_file() and (dest / "records.csv").is_file()
