"""Typed, frozen configuration, resolved once at each entry point.

Precedence: the YAML files in ``configs/`` < environment variables (``CASEFILE_*``) < explicit
overrides from the command line. Secrets (object-store credentials) are read only from the
environment, by the storage module, and never appear here.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jobs.common.errors import ConfigError

#: Repository root when running from a checkout or an editable install. ``CASEFILE_REPO_ROOT``
#: overrides it: a stage started with ``--py-files casefile-jobs.zip`` imports this module from the
#: zip, so the Airflow task that starts it passes its own root (configs/, expectations/, .git).
REPO_ROOT = Path(os.environ.get("CASEFILE_REPO_ROOT") or Path(__file__).resolve().parents[2])


def config_dir() -> Path:
    """Folder holding the YAML defaults (``CASEFILE_CONFIG_DIR`` or ``<repo>/configs``)."""
    return Path(os.environ.get("CASEFILE_CONFIG_DIR", REPO_ROOT / "configs"))


def casefile_home() -> Path:
    """Root of the embedded object store and Airflow home (``CASEFILE_HOME``, default ``<repo>/var``)."""
    return Path(os.environ.get("CASEFILE_HOME", REPO_ROOT / "var")).resolve()


@dataclass(frozen=True)
class CategoryRule:
    """One legal category: thresholds of art. 5 法释〔2017〕10号 and the fields that make it."""

    key: str
    law: str
    serious: int
    especially_serious: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    """The resolved configuration of one pipeline run (immutable)."""

    home: str
    storage_backend: str
    minio_endpoint: str | None
    minio_secure: bool
    buckets: dict[str, str]
    spark_master: str
    spark_profile: str
    spark_conf: dict[str, str]
    dag_id: str
    retries: int
    name_protected_chars: tuple[str, ...]
    insider: bool
    fail_stage: str | None
    synonyms: dict[str, tuple[str, ...]]
    categories: tuple[CategoryRule, ...]
    item_categories: dict[str, str]
    tier_serious: float
    tier_especially_serious: float
    #: The ``intake`` section of pipeline.yaml as written (read and checked by
    #: ``jobs.intake.settings``); carried here so that the config digest covers it.
    intake: dict[str, Any] = field(default_factory=dict)
    #: ``configs/linkage.yaml`` as written (probable-duplicate model and counting rules, read by
    #: ``jobs.deduplicate``); carried here so that the config digest covers it.
    linkage: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) of every setting; round-trips through :func:`from_json`."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> "Config":
        data = json.loads(text)
        data["categories"] = tuple(CategoryRule(**{**c, "fields": tuple(c["fields"])}) for c in data["categories"])
        data["name_protected_chars"] = tuple(data["name_protected_chars"])
        data["synonyms"] = {k: tuple(v) for k, v in data["synonyms"].items()}
        return Config(**data)

    def digest(self) -> str:
        """SHA-256 of the settings that decide outputs (recorded in every manifest).

        The fault-injection switch, the Airflow retry count, the data root, the Spark settings
        (master, profile, tuning) and where the stores are (folder or MinIO, endpoint, buckets) do
        not change what a successful run produces, so they are left out: a fail-then-rerun, or the
        same seizure on a cluster with MinIO, gives the same digest.
        """
        data = json.loads(self.to_json())
        for key in ("fail_stage", "retries", "home", "spark_master", "spark_profile", "spark_conf",
                    "storage_backend", "minio_endpoint", "minio_secure", "buckets"):
            data.pop(key, None)
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def category(self, key: str) -> CategoryRule:
        for rule in self.categories:
            if rule.key == key:
                return rule
        raise ConfigError(f"unknown category {key!r}")


def _read_yaml(name: str) -> dict[str, Any]:
    path = config_dir() / name
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file missing: {path}") from exc


def _env_bool(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def load_config(overrides: dict[str, Any] | None = None) -> Config:
    """Resolve the configuration: YAML < environment < ``overrides``.

    Environment variables: ``CASEFILE_HOME``, ``CASEFILE_STORAGE`` (local|minio),
    ``CASEFILE_MINIO_ENDPOINT``, ``CASEFILE_SPARK_MASTER``, ``CASEFILE_SPARK_PROFILE``,
    ``CASEFILE_INSIDER``, ``CASEFILE_FAIL_STAGE``, ``CASEFILE_SPARK_CONF`` (JSON object of extra
    Spark settings, merged over the profile).

    Raises:
        ConfigError: a file is missing or a value is not valid.
    """
    pipeline = _read_yaml("pipeline.yaml")
    spark_profiles = _read_yaml("spark.yaml").get("profiles", {})
    cats = _read_yaml("categories.yaml")
    synonyms = _read_yaml("column_synonyms.yaml")
    env = os.environ

    storage = pipeline.get("storage", {})
    spark = pipeline.get("spark", {})
    values: dict[str, Any] = {
        "home": str(casefile_home()),
        "storage_backend": env.get("CASEFILE_STORAGE", storage.get("backend", "local")),
        "minio_endpoint": env.get("CASEFILE_MINIO_ENDPOINT", storage.get("minio_endpoint")),
        "minio_secure": _env_bool(env["CASEFILE_MINIO_SECURE"]) if "CASEFILE_MINIO_SECURE" in env else bool(storage.get("minio_secure", False)),
        "buckets": dict(storage.get("buckets", {"evidence": "evidence", "work": "work", "casefiles": "casefiles"})),
        "spark_master": env.get("CASEFILE_SPARK_MASTER", spark.get("master", "local[*]")),
        "spark_profile": env.get("CASEFILE_SPARK_PROFILE", spark.get("profile", "local")),
        "dag_id": pipeline.get("airflow", {}).get("dag_id", "seizure_pipeline"),
        "retries": int(pipeline.get("airflow", {}).get("retries", 0)),
        "name_protected_chars": tuple(pipeline.get("normalize", {}).get("name_protected_chars", [])),
        "insider": _env_bool(env["CASEFILE_INSIDER"]) if "CASEFILE_INSIDER" in env else bool(pipeline.get("legal", {}).get("insider", False)),
        "fail_stage": env.get("CASEFILE_FAIL_STAGE") or pipeline.get("fault_injection", {}).get("fail_stage"),
    }
    values["intake"] = dict(pipeline.get("intake") or {})
    values["linkage"] = _read_yaml("linkage.yaml") if (config_dir() / "linkage.yaml").is_file() else {}
    values.update(overrides or {})
    if values["storage_backend"] not in ("local", "minio"):
        raise ConfigError(f"storage backend must be local or minio, not {values['storage_backend']!r}")
    profile = spark_profiles.get(values["spark_profile"])
    if profile is None:
        raise ConfigError(f"unknown Spark profile {values['spark_profile']!r} (configs/spark.yaml)")
    values["spark_conf"] = {str(k): str(v) for k, v in profile.items()}
    if env.get("CASEFILE_SPARK_CONF"):  # extra Spark settings as a JSON object (benchmarks, tuning)
        try:
            extra_conf = json.loads(env["CASEFILE_SPARK_CONF"])
        except ValueError as exc:
            raise ConfigError("CASEFILE_SPARK_CONF must be a JSON object of Spark settings") from exc
        values["spark_conf"].update({str(k): str(v) for k, v in extra_conf.items()})
    values["synonyms"] = {field_: tuple(str(s) for s in names) for field_, names in synonyms.items()}
    values["categories"] = tuple(
        CategoryRule(key=key, law=str(c.get("law", "")), serious=int(c["serious"]),
                     especially_serious=int(c["especially_serious"]), fields=tuple(c.get("fields") or ()))
        for key, c in cats["categories"].items()
    )
    values["item_categories"] = dict(cats.get("item_categories") or {})
    values["tier_serious"] = float(cats.get("tier_rule", {}).get("serious", 1))
    values["tier_especially_serious"] = float(cats.get("tier_rule", {}).get("especially_serious", 10))
    return Config(**values)
