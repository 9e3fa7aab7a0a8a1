"""Great Expectations (GX 1.x) gate of every published dataset (write-audit-publish).

Suites are reviewed JSON files in ``expectations/``, file name == suite name. A stage writes its
output to an attempt location, reads it back, validates it here, and commits only on success.
Results are stored with ``result_format`` SUMMARY and no unexpected values, so no record value
leaves the dataset through a validation report or a log.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.common.config import REPO_ROOT
from jobs.common.errors import ValidationFailed

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = Path(os.environ.get("CASEFILE_EXPECTATIONS_DIR", REPO_ROOT / "expectations"))
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0, "include_unexpected_rows": False}


def load_suite_json(name: str) -> dict[str, Any]:
    """The suite ``expectations/<name>.json`` as a dict (GX 1.x format: ``type`` + ``kwargs``)."""
    path = EXPECTATIONS_DIR / f"{name}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("name") != name:
        raise ValidationFailed(f"suite file {path.name} declares name {data.get('name')!r}; file name must equal suite name")
    return data


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of one suite on one dataset."""

    suite: str
    success: bool
    evaluated: int
    failed: tuple[str, ...]
    result: dict[str, Any]

    def raise_for_failure(self) -> None:
        """Raises:
            ValidationFailed: naming the suite and each failing expectation with its unexpected count.
        """
        if not self.success:
            raise ValidationFailed(f"suite {self.suite!r} failed {len(self.failed)} of {self.evaluated} expectations: " + "; ".join(self.failed))

    def to_json_bytes(self) -> bytes:
        """The GX result as canonical JSON, without the wall-clock ``batch_markers.ge_load_time`` that
        GX stamps on every batch: the report is a bundle file, and a rerun must give the same bytes."""
        result = json.loads(json.dumps(self.result, default=str))
        markers = (result.get("meta") or {}).get("batch_markers")
        if isinstance(markers, dict):
            markers.pop("ge_load_time", None)
        return json.dumps(result, sort_keys=True, ensure_ascii=False, indent=2).encode("utf-8")


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context


def validate(df, suite_name: str, *, extra_expectations: list[dict[str, Any]] | None = None) -> ValidationReport:
    """Validate a Spark DataFrame with the suite ``suite_name``.

    Args:
        df: the dataset as written (read back from its attempt location).
        suite_name: name of a suite file in ``expectations/``.
        extra_expectations: run-specific expectations in the same JSON form (for example the exact
            row count the record ledger requires), added to the suite for this run only.

    Returns:
        The report; call :meth:`ValidationReport.raise_for_failure` to gate a commit.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx

    data = load_suite_json(suite_name)
    data = {**data, "expectations": list(data["expectations"]) + list(extra_expectations or [])}
    context = _context()
    source = context.data_sources.add_spark(name="casefile")
    asset = source.add_dataframe_asset(name=suite_name)
    batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": df})
    suite = gx.ExpectationSuite(**data)
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    payload = result.to_json_dict()
    failed = []
    for r in payload["results"]:
        if not r["success"]:
            cfg = r["expectation_config"]
            detail = {k: v for k, v in cfg["kwargs"].items() if k != "batch_id"}
            unexpected = r.get("result", {}).get("unexpected_count")
            observed = r.get("result", {}).get("observed_value")
            failed.append(f"{cfg['type']}({json.dumps(detail, ensure_ascii=False)}) unexpected={unexpected} observed={observed}")
    report = ValidationReport(suite=suite_name, success=bool(payload["success"]), evaluated=len(payload["results"]), failed=tuple(failed), result=payload)
    log.info("suite %s: %s (%d expectations, %d failed)", suite_name, "passed" if report.success else "FAILED", report.evaluated, len(failed))
    return report
