"""``casefile run --lang en`` through the command line: the bundle's pages, workbook and guide are in
English although ``report.language`` of the configuration is zh-CN (issue 15).

Its own CASEFILE_HOME and a 1,000-record synthetic seizure (the reference run stays zh-CN); one
DAG run in embedded mode, as a user would start it (``python -m jobs.cli``). The expected words are
the catalog's English entries (``jobs/export/catalog.yaml``: ``page.count_statement``,
``sheet.records``, ``guide.file_name``), read independently of the code that renders them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from jobs.common.config import REPO_ROOT, load_config
from jobs.common.paths import run_key

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LOGICAL_DATE = "2026-02-01T00:00:00+00:00"


def test_run_with_lang_en_renders_the_bundle_in_english(tmp_path):
    assert load_config().report_language == "zh-CN"  # the configuration says Chinese; --lang must win
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CASEFILE_"))}
    env.update(CASEFILE_HOME=str(home), AIRFLOW_HOME=str(home / "airflow"))

    def casefile(*args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "jobs.cli", *args], env=env, capture_output=True, text=True, timeout=1500)
        assert proc.returncode == 0, f"casefile {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    casefile("synth", "--out", str(tmp_path / "sample"), "--records", "1000", "--seed", "5")
    proc = casefile("run", "--json", "--case", "LANG-1", "--seizure", "S1", "--evidence", str(tmp_path / "sample" / "evidence"),
                    "--logical-date", LOGICAL_DATE, "--seizure-date", "2026-01-01", "--lang", "en")
    doc = json.loads(proc.stdout)
    bundle = home / "casefiles" / "LANG-1" / "S1" / run_key(f"manual__{LOGICAL_DATE}")
    assert doc["ok"] is True and doc["bundle"] == str(bundle)

    catalog = yaml.safe_load((REPO_ROOT / "jobs" / "export" / "catalog.yaml").read_text(encoding="utf-8"))
    page = (bundle / "summary.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and catalog["page.count_statement"]["en"] in page
    assert catalog["page.count_statement"]["zh-CN"] not in page
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["report_language"] == "en"
    assert catalog["guide.file_name"]["en"] in manifest["files"] and catalog["guide.file_name"]["zh-CN"] not in manifest["files"]

    import openpyxl

    wb = openpyxl.load_workbook(bundle / "case_file.xlsx", read_only=True)
    assert any(n.startswith(catalog["sheet.records"]["en"]) for n in wb.sheetnames)
    # The language changes words, not counts: the run's configuration digest is that of zh-CN.
    assert json.loads((bundle / "summary.json").read_text(encoding="utf-8"))["config_digest"] == load_config().digest()
