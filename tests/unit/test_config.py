"""Configuration: YAML < environment < overrides, frozen, typed sections, one default per setting,
digest over exactly what the stages use."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from jobs.common.config import (
    OUTPUT_SECTIONS,
    AccessLimits,
    ArchiveLimits,
    Config,
    Counting,
    IntakeSettings,
    LegalRules,
    NormalizeSettings,
    WorkbookLimits,
    config_dir,
    load_config,
)
from jobs.common.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """A copy of configs/ that a test may edit, in force for the test."""
    copy = tmp_path / "configs"
    shutil.copytree(config_dir(), copy)
    monkeypatch.setenv("CASEFILE_CONFIG_DIR", str(copy))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_environment_overrides_yaml(monkeypatch):
    monkeypatch.setenv("CASEFILE_INSIDER", "true")
    monkeypatch.setenv("CASEFILE_SPARK_MASTER", "spark://127.0.0.1:7077")
    c = load_config()
    assert c.legal.insider is True and c.spark_master == "spark://127.0.0.1:7077"
    assert load_config({"legal.insider": False}).legal.insider is False
    assert load_config({"spark_master": "local[2]"}).spark_master == "local[2]"
    with pytest.raises(ConfigError):
        load_config({"legal.no_such_setting": 1})


def test_frozen_and_round_trips_through_json():
    c = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.legal = LegalRules()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.intake.infer_min_share = 0.5  # type: ignore[misc]
    assert Config.from_json(c.to_json()) == c


def test_typed_sections_hold_the_yaml_values():
    c = load_config()
    # configs/pipeline.yaml intake, configs/linkage.yaml counting, configs/categories.yaml
    assert c.intake == IntakeSettings(header_search_rows=50, max_quoted_lines=50, infer_sample_rows=1000, infer_min_share=0.8,
                                      max_items=10_000,
                                      archives=ArchiveLimits(max_depth=4, max_members=10_000, max_member_bytes=8 << 30,
                                                             max_total_bytes=32 << 30, max_ratio=200.0, ratio_floor_bytes=1 << 20),
                                      workbooks=WorkbookLimits(max_part_bytes=1 << 30, max_total_bytes=4 << 30, max_ratio=200.0,
                                                               ratio_floor_bytes=1 << 20),
                                      access=AccessLimits(timeout_seconds=300.0, cpu_seconds=300, memory_bytes=2 << 30,
                                                          max_output_bytes=8 << 30))
    assert c.normalize.name_protected_chars == ("於", "乾", "昇", "陞", "氾", "麴", "逕")
    # GA/T 517-2004 document codes as configs/pipeline.yaml writes them: 111 居民身份证, 414 普通护照, 511 台胞证
    codes = dict(c.normalize.document_type_codes)
    assert (codes["111"], codes["414"], codes["511"]) == ("resident_id", "passport_cn", "taiwan_compatriot_permit")
    assert c.counting.bare_phone_fields == ("phone",)
    assert c.counting.identifying_field_pairs == (("name", "address"),)
    assert [r.key for r in c.legal.categories] == ["tier_50", "tier_500", "tier_5000"]
    assert c.legal.category("tier_500").serious == 500 and c.legal.tier_especially_serious == 10.0
    with pytest.raises(ConfigError):
        c.legal.category("tier_1")


def test_a_setting_left_out_takes_the_one_default(configs):
    """Each default lives once, in its dataclass: a YAML without the key gives the dataclass's value."""
    clean = load_config().digest()
    _edit(configs / "pipeline.yaml", "  infer_min_share: 0.8 ", "  # infer_min_share: 0.8 ")
    _edit(configs / "pipeline.yaml", "    max_ratio: 200 ", "    # max_ratio: 200 ")
    c = load_config()
    assert c.intake.infer_min_share == IntakeSettings().infer_min_share
    assert c.intake.archives.max_ratio == ArchiveLimits().max_ratio
    assert c.digest() == clean  # the YAML said what the defaults say


def test_unknown_or_bad_settings_are_refused(configs, monkeypatch):
    monkeypatch.setenv("CASEFILE_STORAGE", "ftp")
    with pytest.raises(ConfigError):
        load_config()
    monkeypatch.delenv("CASEFILE_STORAGE")
    _edit(configs / "pipeline.yaml", "  infer_min_share: 0.8", "  infer_min_share: 1.5")
    with pytest.raises(ConfigError, match="infer_min_share"):
        load_config()
    _edit(configs / "pipeline.yaml", "  infer_min_share: 1.5", "  infer_min_share: 0.8\n  infer_min_shar: 0.7")
    with pytest.raises(ConfigError, match="infer_min_shar"):
        load_config()


def test_the_unread_airflow_section_is_gone():
    text = (REPO / "configs" / "pipeline.yaml").read_text(encoding="utf-8")
    assert "\nairflow:" not in text
    assert not {"dag_id", "retries", "extra"} & {f.name for f in dataclasses.fields(Config)}


def test_fault_injection_and_placement_do_not_change_the_digest(monkeypatch):
    clean = load_config().digest()
    monkeypatch.setenv("CASEFILE_FAIL_STAGE", "normalize")
    monkeypatch.setenv("CASEFILE_SPARK_PROFILE", "cluster")
    monkeypatch.setenv("CASEFILE_SPARK_CONF", '{"spark.sql.shuffle.partitions": "3"}')
    assert load_config().fail_stage == "normalize"
    assert load_config().digest() == clean
    monkeypatch.setenv("CASEFILE_INSIDER", "1")
    assert load_config().digest() != clean


def test_the_digest_covers_exactly_the_sections_the_stages_use():
    c = load_config()
    assert set(OUTPUT_SECTIONS) == {"intake", "synonyms", "normalize", "legal", "counting", "linkage"}
    assert dataclasses.replace(c, home="/elsewhere", buckets={"work": "w"}).digest() == c.digest()
    for changed in (dataclasses.replace(c, counting=Counting()),
                    dataclasses.replace(c, normalize=NormalizeSettings()),
                    dataclasses.replace(c, synonyms={}),
                    dataclasses.replace(c, linkage=dataclasses.replace(c.linkage, threshold_match_probability=0.5)),
                    dataclasses.replace(c, legal=dataclasses.replace(c.legal, tier_serious=2.0))):
        assert changed.digest() != c.digest()


def test_intake_limits_and_counting_rules_are_part_of_the_digest(configs):
    clean = load_config().digest()
    _edit(configs / "pipeline.yaml", "max_ratio: 200", "max_ratio: 100")
    limited = load_config()
    assert limited.intake.archives.max_ratio == 100.0 and limited.digest() != clean
    _edit(configs / "pipeline.yaml", "max_ratio: 100", "max_ratio: 200")
    assert load_config().digest() == clean
    _edit(configs / "linkage.yaml", "  bare_phone_fields: [phone]", "  bare_phone_fields: []")
    assert load_config().counting.bare_phone_fields == () and load_config().digest() != clean
