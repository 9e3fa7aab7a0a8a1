"""The reference bundle as people open it: the workbook, the pages, the guide (reuses ``reference_run``).

The workbook is read with openpyxl (an independent reader); the record count is compared with
``records.csv`` read by Python's ``csv`` module, and with the export ledger of ``manifest.json``.
"""

from __future__ import annotations

import csv
import json

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_reference_bundle_workbook_pages_and_guide(reference_run):
    import openpyxl

    bundle = reference_run["bundle"]
    with open(bundle / "records.csv", encoding="utf-8-sig", newline="") as fh:
        n_records = sum(1 for _ in csv.reader(fh)) - 1
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ledgers"]["export"]["records_out"] == n_records
    assert "case_file.xlsx" in manifest["files"] and "说明.txt" in manifest["files"] and "validation.html" in manifest["files"]
    assert "case_file.xlsx" in (bundle / "SHA256SUMS").read_text(encoding="utf-8")
    assert manifest["report_language"] == "zh-CN" and manifest["csv_neutralization"]["rule"].startswith("OWASP")

    wb = openpyxl.load_workbook(bundle / "case_file.xlsx", read_only=True)
    record_sheets = [n for n in wb.sheetnames if n.startswith("去重后记录")]
    assert sum(wb[n].max_row - 1 for n in record_sheets) == n_records
    first = wb[record_sheets[0]]
    header = next(first.iter_rows(max_row=1, values_only=True))
    assert header[0] == "记录编号" and "身份证号（规范化值）" in header

    page = (bundle / "summary.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "数据统计说明" in page and "<script" not in page
    assert page.count("<svg") >= 2
    guide = (bundle / "说明.txt").read_bytes().decode("utf-8-sig")
    assert "sha256sum -c SHA256SUMS" in guide and "Get-FileHash" in guide and "certutil" in guide
    # The guide names every file and folder of the bundle (a fresh-user run found the register and the folder
    # refusals missing from it, 2026-12-04).
    names = {p.name + ("/" if p.is_dir() else "") for p in bundle.iterdir()} - {"说明.txt"}
    assert sorted(n for n in names if n not in guide) == []
    # Every step of the zh-CN count statement is in Chinese: the step names of summary.json are the English keys.
    for step in json.loads((bundle / "summary.json").read_text(encoding="utf-8"))["count_statement"]:
        assert f"<td>{step['step']}</td>" not in page, step["step"]


def test_reference_histogram_covers_every_candidate_pair(reference_run):
    """The page's match-weight histogram counts all candidate pairs the deduplicate stage scored
    (its ``linkage.candidate_pairs``), not only the probable-duplicate links of ``duplicates.csv``."""
    bundle = reference_run["bundle"]
    summary = json.loads((bundle / "summary.json").read_text(encoding="utf-8"))
    hist = summary["match_weight_histogram"]
    with open(bundle / "duplicates.csv", encoding="utf-8-sig", newline="") as fh:
        links = sum(1 for r in csv.DictReader(fh) if r["reason"] == "probable_duplicate")
    assert hist["bin_width_bits"] == 1 and hist["threshold_match_weight"] == summary["linkage"]["threshold_match_weight"]
    assert sum(n for _, n in hist["bins"]) == hist["candidate_pairs"] == summary["linkage"]["candidate_pairs"]
    assert hist["candidate_pairs"] >= summary["linkage"]["linked_pairs"] >= links > 0
    assert [k for k, _ in hist["bins"]] == sorted({k for k, _ in hist["bins"]})
    # The page says so (the catalog's caption of the all-pairs histogram, not that of the links-only one).
    import yaml

    from jobs.common.config import REPO_ROOT

    catalog = yaml.safe_load((REPO_ROOT / "jobs" / "export" / "catalog.yaml").read_text(encoding="utf-8"))
    page = (bundle / "summary.html").read_text(encoding="utf-8")
    assert catalog["page.chart_weights"]["zh-CN"] in page and catalog["page.chart_weights_links"]["zh-CN"] not in page
