"""Configuration: YAML < environment < overrides, frozen, digest stable across fault injection."""

from __future__ import annotations

import dataclasses

import pytest

from jobs.common.config import Config, load_config
from jobs.common.errors import ConfigError


def test_environment_overrides_yaml(monkeypatch):
    monkeypatch.setenv("CASEFILE_INSIDER", "true")
    monkeypatch.setenv("CASEFILE_SPARK_MASTER", "spark://127.0.0.1:7077")
    c = load_config()
    assert c.insider is True and c.spark_master == "spark://127.0.0.1:7077"
    assert load_config({"insider": False}).insider is False


def test_frozen_and_round_trips_through_json():
    c = load_config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.insider = True  # type: ignore[misc]
    assert Config.from_json(c.to_json()) == c


def test_fault_injection_does_not_change_the_digest(monkeypatch):
    clean = load_config().digest()
    monkeypatch.setenv("CASEFILE_FAIL_STAGE", "normalize")
    assert load_config().fail_stage == "normalize"
    assert load_config().digest() == clean
    monkeypatch.setenv("CASEFILE_INSIDER", "1")
    assert load_config().digest() != clean


def test_bad_values_are_refused(monkeypatch):
    monkeypatch.setenv("CASEFILE_STORAGE", "ftp")
    with pytest.raises(ConfigError):
        load_config()


def test_intake_limits_are_part_of_the_digest(tmp_path, monkeypatch):
    import shutil

    from jobs.common.config import config_dir

    copy = tmp_path / "configs"
    shutil.copytree(config_dir(), copy)
    clean = load_config().digest()
    monkeypatch.setenv("CASEFILE_CONFIG_DIR", str(copy))
    assert load_config().digest() == clean
    text = (copy / "pipeline.yaml").read_text(encoding="utf-8").replace("max_ratio: 200", "max_ratio: 100")
    (copy / "pipeline.yaml").write_text(text, encoding="utf-8")
    assert load_config().digest() != clean
