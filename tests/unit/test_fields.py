"""The field registry (jobs/common/fields.py) against everything that must agree with it: the
normalize stage's output columns, the GX suites, the legal categories and the column synonyms.

The expected columns are read from the suites and YAML files as written (reviewed artefacts), and
from the DataFrame normalize really produces; the registry is what is checked."""

from __future__ import annotations

import datetime
import json

import pytest
import yaml

from jobs.common.config import REPO_ROOT
from jobs.common.fields import CANONICAL_FIELDS, CONTENT_KEY_COLUMNS, FIELDS, LOCATOR_COLUMNS, field

SUITES = REPO_ROOT / "expectations"


def _suite(name: str) -> list[dict]:
    return json.loads((SUITES / f"{name}.json").read_text(encoding="utf-8"))["expectations"]


def test_registry_is_consistent():
    assert len(set(CANONICAL_FIELDS)) == len(CANONICAL_FIELDS) == len(FIELDS)
    columns = [c for spec in FIELDS for c in spec.record_columns()]
    assert len(set(columns)) == len(columns), "two fields claim one column"
    assert set(CONTENT_KEY_COLUMNS) <= set(columns)
    assert field("name").content_column == "name_key" and field("email").content_column == "email"
    # the document type is decided by the type column and the number: not information of its own
    assert "document_type" not in CONTENT_KEY_COLUMNS and "document_number" in CONTENT_KEY_COLUMNS
    assert {"sender_name_key", "sender_phone", "sender_address", "birth_date_key"} <= set(CONTENT_KEY_COLUMNS)
    with pytest.raises(KeyError):
        field("passport")


def test_records_suite_checks_every_field_status_with_the_registry_statuses():
    in_set = {e["kwargs"]["column"]: set(e["kwargs"]["value_set"]) for e in _suite("records")
              if e["type"] == "expect_column_values_to_be_in_set" and e["kwargs"]["column"].endswith("_status")}
    not_null = {e["kwargs"]["column"] for e in _suite("records") if e["type"] == "expect_column_values_to_not_be_null"}
    assert in_set == {spec.status_column: set(spec.statuses) for spec in FIELDS}
    assert {spec.status_column for spec in FIELDS} <= not_null


def test_raw_records_suite_lists_the_registry_raw_columns():
    (columns,) = [e["kwargs"]["column_set"] for e in _suite("raw_records") if e["type"] == "expect_table_columns_to_match_set"]
    assert columns == ["record_id", *LOCATOR_COLUMNS, *(spec.raw_column for spec in FIELDS), "extra"]


def test_locator_columns_agree_with_the_spark_schema():
    # The light registry cannot import Spark types; this pins it to the schema the stages write.
    from jobs.engine.schemas import LOCATOR_FIELDS, QUARANTINE

    assert [f.name for f in LOCATOR_FIELDS] == ["record_id", *LOCATOR_COLUMNS]
    assert QUARANTINE.fieldNames()[: len(LOCATOR_COLUMNS)] == list(LOCATOR_COLUMNS)


def test_categories_and_synonyms_name_only_registered_fields():
    categories = yaml.safe_load((REPO_ROOT / "configs" / "categories.yaml").read_text(encoding="utf-8"))["categories"]
    for key, rule in categories.items():
        assert set(rule.get("fields") or ()) <= set(CANONICAL_FIELDS), key
    synonyms = yaml.safe_load((REPO_ROOT / "configs" / "column_synonyms.yaml").read_text(encoding="utf-8"))
    # "<field>/<block>" keys add spellings to <field>; "_" keys are lists of words, not fields.
    assert {key.split("/")[0] for key in synonyms if not key.startswith("_")} == set(CANONICAL_FIELDS)


@pytest.mark.spark
def test_normalize_adds_exactly_the_registry_columns(spark):
    from jobs.engine.schemas import RAW_RECORD
    from jobs.normalize.transforms import field_normalizers, normalize_records

    assert set(field_normalizers(reference_date=datetime.date(2019, 4, 12))) == set(CANONICAL_FIELDS)
    row = ("r1", "a" * 64, "hotel.csv", "", 2, 0, "张三", "11010519491231002X", "13812345678", "北京市朝阳区建国路1号",
           "6222020200112233445", "zs@example.com", *[None] * (len(FIELDS) - 6), "{}")
    raw = spark.createDataFrame([row], RAW_RECORD)
    out = normalize_records(raw, reference_date=datetime.date(2019, 4, 12))
    added = set(out.columns) - set(raw.columns)
    expected = {c for spec in FIELDS for c in spec.record_columns()} - {spec.raw_column for spec in FIELDS}
    assert added == expected
    # in registry order, after the input columns
    assert out.columns == raw.columns + [c for spec in FIELDS for c in spec.record_columns() if c != spec.raw_column]
