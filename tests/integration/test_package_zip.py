"""The package zip a cluster runs (``casefile package``, ``spark-submit --py-files casefile-jobs.zip``).

On the cluster path the stage applications import ``jobs`` from this zip, not from the checkout
(PYTHONPATH set by spark-submit comes before the editable install). The export stage then reads
its package data through the package: ``jobs/export/catalog.yaml`` (every word of the pages, the
workbook and the reader's guide, :mod:`jobs.export.i18n`) and ``jobs/export/templates/*.j2``. A zip
without them fails the export task on the cluster only, after intake, normalize and deduplicate
have committed (the deployment test's failure of 2026-12-02: ``FileNotFoundError:
.../casefile-jobs.zip/jobs/export/catalog.yaml`` in the export driver).

The expected contents come from ``pyproject.toml``'s ``[tool.setuptools.package-data]`` (what the
installed package ships), and the expected texts from the same functions imported from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Loads what the export driver loads through the package and prints it: the guide's file name and
# text in both languages and the validation page rendered from its template (no record values).
PROBE = """
import hashlib, json, sys
import jobs
from jobs.export.i18n import Catalog
from jobs.export.pages import render_validation
out = {"jobs": jobs.__file__}
for lang in ("zh-CN", "en"):
    t = Catalog(lang)
    page = render_validation([{"suite": "records", "expectation": "expect_column_values_to_not_be_null", "column": "record_id",
                               "success": True, "element_count": 3, "unexpected_count": 0}], case_id="C-1", seizure_id="S01", catalog=t)
    out[lang] = {"guide_name": t("guide.file_name"), "guide_sha256": hashlib.sha256(t("guide.text", case_id="C-1", seizure_id="S01").encode()).hexdigest(),
                 "validation_sha256": hashlib.sha256(page.encode()).hexdigest()}
json.dump(out, sys.stdout)
"""


def probe(pythonpath: str | None, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CASEFILE_REPO_ROOT")}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def test_zip_holds_every_package_data_file_of_pyproject(tmp_path):
    from jobs.cli.admin import build_package_zip

    names = set(zipfile.ZipFile(build_package_zip(tmp_path / "casefile-jobs.zip")).namelist())
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    expected = set()
    for package, patterns in package_data.items():
        folder = REPO / Path(*package.split("."))
        for pattern in patterns:
            matched = sorted(folder.glob(pattern))
            assert matched, f"pyproject package-data {package}: {pattern} matches nothing"
            expected |= {p.relative_to(REPO).as_posix() for p in matched}
    assert "jobs/export/catalog.yaml" in expected
    assert expected <= names, f"missing from the zip: {sorted(expected - names)}"
    with zipfile.ZipFile(tmp_path / "casefile-jobs.zip") as zf:
        for name in sorted(expected):
            assert zf.read(name) == (REPO / name).read_bytes(), name
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]


def test_export_texts_and_templates_load_from_the_zip_as_from_the_checkout(tmp_path):
    from jobs.cli.admin import build_package_zip

    zip_path = build_package_zip(tmp_path / "dist" / "casefile-jobs.zip")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    rc, from_zip, err = probe(str(zip_path), elsewhere)
    assert rc == 0, err[-3000:]
    rc, from_checkout, err = probe(None, REPO)
    assert rc == 0, err[-3000:]

    import json

    zipped, checkout = json.loads(from_zip), json.loads(from_checkout)
    assert zipped.pop("jobs") == f"{zip_path}/jobs/__init__.py"  # imported from the zip, as on the cluster
    assert checkout.pop("jobs") == str(REPO / "jobs" / "__init__.py")
    assert zipped == checkout
    assert zipped["zh-CN"]["guide_name"] != zipped["en"]["guide_name"]
