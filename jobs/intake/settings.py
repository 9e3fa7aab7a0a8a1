"""Intake settings: the ``intake`` section of ``configs/pipeline.yaml``, resolved once per run.

The common :class:`jobs.common.config.Config` does not carry this section (yet); intake reads it
from the same configuration folder (``CASEFILE_CONFIG_DIR``) and records it, with its SHA-256, in
the intake stage manifest so that a run can be reproduced with the same limits.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from jobs.common.config import config_dir
from jobs.common.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "header_search_rows": 50,
    "max_quoted_lines": 50,
    "infer_sample_rows": 1000,
    "infer_min_share": 0.8,
    "archives": {},
}


def load_intake_settings() -> dict[str, Any]:
    """The ``intake`` settings merged over :data:`DEFAULTS`.

    Raises:
        ConfigError: the section is not a mapping or a value is out of range.
    """
    path = config_dir() / "pipeline.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file missing: {path}") from exc
    section = data.get("intake") or {}
    if not isinstance(section, dict):
        raise ConfigError("pipeline.yaml: intake must be a mapping")
    settings = {**DEFAULTS, **section}
    if not 0 < float(settings["infer_min_share"]) <= 1:
        raise ConfigError("pipeline.yaml: intake.infer_min_share must be in (0, 1]")
    for key in ("header_search_rows", "max_quoted_lines", "infer_sample_rows"):
        if int(settings[key]) < 1:
            raise ConfigError(f"pipeline.yaml: intake.{key} must be >= 1")
    return settings


def settings_digest(settings: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the settings."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()
