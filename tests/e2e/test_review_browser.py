"""The review page in headless Chromium (Debian's chromium + /usr/bin/chromedriver, driven by Selenium):
decide three pairs and one record with the keyboard, recompute, see the counts change as worked out by
hand from the bundle's own files; a second recompute with the same decisions gives byte-identical data files."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

# mutates_reference: it adds review decisions to the shared reference run and reruns its deduplicate and
# export, so it runs after every other test that reads that bundle (tests/conftest.py orders it last).
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.mutates_reference]

DATA_FILES = ("records.csv", "duplicates.csv", "quarantine.csv", "evidence_items.csv", "summary.json", "review.csv")


def _rows(path: Path) -> list[dict]:
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _latest(home: Path) -> Path:
    base = home / "casefiles" / "E2E-2026-0001" / "S01"
    return base / (base / "latest").read_text().strip()


def test_review_in_the_browser(reference_run):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    if not Path("/usr/bin/chromedriver").exists():
        pytest.skip("chromedriver not installed (make system-deps)")
    home, env = reference_run["home"], reference_run["env"]
    # The recompute reruns the seizure's latest run: test_pipeline_dag adds a second run (2026-01-02)
    # of the same evidence to this home, so the bundle under review is the one `latest` names.
    bundle = _latest(home)
    before = json.loads((bundle / "summary.json").read_text(encoding="utf-8"))
    sealed = {f.relative_to(bundle).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(bundle.rglob("*")) if f.is_file()}
    records = {r["record_id"]: r for r in _rows(bundle / "records.csv")}
    proc = subprocess.Popen([sys.executable, "-m", "jobs.cli", "review", "--case", "E2E-2026-0001", "--seizure", "S01", "--seed", "7"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = ""
        while not url:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-2000:]
            url = line.strip() if line.startswith("http://127.0.0.1:") else ""
        opts = webdriver.ChromeOptions()
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--lang=zh-CN"):
            opts.add_argument(flag)
        opts.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        try:
            driver.get(url)
            driver.find_element(By.ID, "reviewer").send_keys("测试员")
            items = driver.find_elements(By.CSS_SELECTOR, "li.item")
            # Three pairs whose duplicate is the only one of its probable cluster: rejecting one adds one record.
            links = {(r["record_id"], r["linked_record_id"]): r for r in _rows(bundle / "duplicates.csv") if r["reason"] == "probable_duplicate"}
            size: dict[str, int] = {}
            for link in links.values():
                size[link["survivor_record_id"]] = size.get(link["survivor_record_id"], 0) + 1
            body = driver.find_element(By.TAG_NAME, "body")
            chosen, decisions = [], ["2", "2", "1"]  # different, different, same
            for idx, li in enumerate(items):
                if li.get_attribute("data-kind") != "pair" or len(chosen) == 3:
                    continue
                a, b = li.get_attribute("data-target").split("|")
                link = links.get((a, b)) or links.get((b, a))
                if link and size[link["survivor_record_id"]] == 1 and link["linked_record_id"] == link["survivor_record_id"]:
                    chosen.append((idx, link))
            assert len(chosen) == 3, "the reference seizure has three isolated probable pairs"
            for (idx, _link), key in zip(chosen, decisions):
                driver.execute_script("cur = arguments[0]; show();", idx)
                body.send_keys(key)
                time.sleep(0.5)
            rec_idx = next(i for i, li in enumerate(items) if li.get_attribute("data-kind") == "record"
                           and records[li.get_attribute("data-target")]["cluster_size"] == "1"
                           and not records[li.get_attribute("data-target")]["probable_survivor_record_id"])
            untrue_cat = records[items[rec_idx].get_attribute("data-target")]["category"]
            driver.execute_script("cur = arguments[0]; show();", rec_idx)
            body.send_keys("u")
            time.sleep(0.5)
            assert driver.find_element(By.ID, "progress").text == "4"
            body.send_keys("r")
            deadline = time.time() + 1500
            while time.time() < deadline and not re.search(r'"ok"', driver.find_element(By.ID, "result").text):
                time.sleep(5)
            result = json.loads(driver.find_element(By.ID, "result").text)
            driver.save_screenshot(str(Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "review-zh-CN.png"))
        finally:
            driver.quit()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert result["ok"] is True
    rejected = [link["record_id"] for (_, link), k in zip(chosen, decisions) if k == "2"]
    expected = {k: v["unique_records"] for k, v in before["lower_bound"]["categories"].items()}
    for rid in rejected:
        expected[records[rid]["category"]] += 1
    expected[untrue_cat] -= 1
    assert result["lower_bound"] == expected
    assert result["untrue_records"] == before["untrue_records"] + 1
    assert result["probable_duplicate_records"] == before["probable_duplicate_records"] - 2
    after = _latest(home)
    # Custody: the reviewed bundle has its own run key; the bundle it reviewed is untouched, and named.
    head = json.loads((home / "work" / "E2E-2026-0001" / "S01" / "review" / "head.json").read_text())
    last = (home / "work" / "E2E-2026-0001" / "S01" / "review" / "decisions" / "00000004.json").read_bytes()
    assert head == {"entries": 4, "sha256": hashlib.sha256(last).hexdigest()}
    assert after.name == f"{bundle.name}.review-0004-{head['sha256'][:12]}"
    assert {f.relative_to(bundle).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(bundle.rglob("*")) if f.is_file()} == sealed
    manifest = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["review"]["reviewed_run"] == {"run_id": manifest["run_id"], "bundle": bundle.name, "manifest_sha256": sealed["manifest.json"]}
    assert (manifest["review"]["decision_log"]["entries"], manifest["review"]["decision_log"]["head_sha256"]) == (4, head["sha256"])
    review = _rows(after / "review.csv")
    assert [r["decision"] for r in review] == ["different", "different", "same", "untrue"]
    first = {f: (after / f).read_bytes() for f in DATA_FILES}
    subprocess.run([sys.executable, "-m", "jobs.cli", "rerun", "--case", "E2E-2026-0001", "--seizure", "S01", "--apply-review"],
                   env=env, check=True, capture_output=True, timeout=1500)
    again = _latest(home)
    assert {f: (again / f).read_bytes() for f in DATA_FILES} == first
    # The Excel path on the same seizure: export the queue, decide one link in the sheet, import it.
    import openpyxl

    sheet = home / "review-queue.xlsx"
    cli = [sys.executable, "-m", "jobs.cli", "review"]
    where = ["--case", "E2E-2026-0001", "--seizure", "S01", "--seed", "7"]
    subprocess.run([*cli, "export", str(sheet), *where], env=env, check=True, capture_output=True, timeout=600)
    wb = openpyxl.load_workbook(sheet)
    ws = wb["疑似重复关联"]  # the links tab of a zh-CN sheet (review.tab_pairs)
    cols = {c.value: i + 1 for i, c in enumerate(ws[2])}
    assert ws.max_row >= 3 and all(c.data_type != "f" for r in ws.iter_rows() for c in r)
    target = ws.cell(3, cols["target"]).value
    ws.cell(3, cols["decision"], "无法确定")
    ws.cell(3, cols["reviewer"], "测试员")
    wb.save(sheet)
    done = subprocess.run([*cli, "import", str(sheet), *where], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 decisions appended" in done.stderr + done.stdout
    entry = json.loads((home / "work" / "E2E-2026-0001" / "S01" / "review" / "decisions" / "00000005.json").read_text())
    assert (entry["kind"], entry["target"], entry["decision"], entry["reviewer"], entry["prev_sha256"]) == (
        "pair", target, "unsure", "测试员", hashlib.sha256(last).hexdigest())
