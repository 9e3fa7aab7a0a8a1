"""Typed, frozen configuration, read once at each entry point by :func:`load_config`.

:func:`load_config` is the only reader of ``configs/pipeline.yaml``, ``spark.yaml``,
``categories.yaml``, ``column_synonyms.yaml`` and ``linkage.yaml`` (its ``counting`` section into
:class:`Counting`, its ``linkage`` section into :class:`jobs.common.linkage.LinkageSettings`);
:func:`read_yaml` is the one YAML reader, also used for ``configs/febrl.yaml`` by the FEBRL
evaluation. Every setting has one default: the default of its field in one of the dataclasses
below, used when the YAML is silent.

Precedence: the YAML files in ``configs/`` < environment variables (``CASEFILE_*``) < explicit
overrides. Secrets (object-store credentials) are read only from the environment, by the storage
module, and never appear here.

The sections the stages use (:class:`IntakeSettings` with :class:`ArchiveLimits`, the column
synonyms, :class:`NormalizeSettings`, :class:`LegalRules` with its :class:`CategoryRule` list,
:class:`Counting`, the linkage model) are exactly what :meth:`Config.digest` covers.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from jobs.common.errors import ConfigError
from jobs.common.linkage import LinkageSettings

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


# ------------------------------------------------------------------------------------ sections


def _known(data: Any, allowed: Mapping[str, Any] | tuple[str, ...], where: str) -> dict[str, Any]:
    """``data`` as a dict, refusing keys no setting reads (a typo'd limit must not pass silently).

    Raises:
        ConfigError: ``data`` is not a mapping or has a key not in ``allowed``.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(map(str, unknown))}")
    return dict(data)


def _names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _numeric_limits(cls, data: Mapping[str, Any] | None, where: str):
    """``cls`` (a frozen dataclass of numeric limits with defaults) from ``data``: each given value
    converted to its default's type. Raises ConfigError naming ``where`` on an unknown key or a
    value that is not a number."""
    given = _known(data, _names(cls), where)
    try:
        return cls(**{k: type(getattr(cls, k))(v) for k, v in given.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class ArchiveLimits:
    """Limits against decompression bombs and runaway archives (``pipeline.yaml`` ``intake.archives``).

    A member or archive beyond a limit is refused with its reason (``jobs.intake.archives``).
    """

    max_depth: int = 4
    max_members: int = 10_000
    max_member_bytes: int = 8 << 30
    max_total_bytes: int = 32 << 30
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1 << 20  # the ratio rule applies from this many uncompressed bytes

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "ArchiveLimits":
        """Raises:
            ConfigError: an unknown key or a value that is not a number.
        """
        return _numeric_limits(ArchiveLimits, data, "pipeline.yaml: intake.archives")


@dataclass(frozen=True)
class WorkbookLimits:
    """Limits against XLSX decompression bombs (``pipeline.yaml`` ``intake.workbooks``).

    An XLSX is a zip (ECMA-376 Part 2, Open Packaging Conventions): its parts are checked on their
    declared sizes before openpyxl reads anything, and zipfile never inflates a part beyond its
    declared size (a larger stream fails its CRC). A workbook beyond a limit is refused
    (``jobs.intake.refusals``: ``workbook_too_large``, ``workbook_compression_ratio``).
    """

    max_part_bytes: int = 1 << 30          # one uncompressed part (a sheet, sharedStrings.xml)
    max_total_bytes: int = 4 << 30         # all parts together, uncompressed
    max_ratio: float = 200.0               # uncompressed / compressed size of one part...
    ratio_floor_bytes: int = 1 << 20       # ...once the part is larger than this

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "WorkbookLimits":
        """Raises:
            ConfigError: an unknown key or a value that is not a number.
        """
        return _numeric_limits(WorkbookLimits, data, "pipeline.yaml: intake.workbooks")


@dataclass(frozen=True)
class AccessLimits:
    """Limits of each mdbtools run on an Access database (``pipeline.yaml`` ``intake.access``;
    :mod:`jobs.intake.formats.access`). The file is hostile (DOMAIN.md §5): a run beyond a limit is
    killed or stopped and the item refused ``unreadable_item`` (``mdb-export: timeout``, ``signal 9``,
    ``output too large``...), never partly used.

    Attributes:
        timeout_seconds: wall-clock seconds of one tool run, after which it is killed.
        cpu_seconds: CPU seconds of one tool run (``RLIMIT_CPU``).
        memory_bytes: address space of one tool run (``RLIMIT_AS``).
        max_output_bytes: bytes one tool run may print (a table's CSV) before it is stopped.
    """

    timeout_seconds: float = 300.0
    cpu_seconds: int = 300
    memory_bytes: int = 2 << 30
    max_output_bytes: int = 8 << 30

    def __post_init__(self) -> None:
        for key in ("timeout_seconds", "cpu_seconds", "memory_bytes", "max_output_bytes"):
            if getattr(self, key) <= 0:
                raise ConfigError(f"pipeline.yaml: intake.access.{key} must be > 0")

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "AccessLimits":
        """Raises:
            ConfigError: an unknown key, a value that is not a number or not > 0.
        """
        return _numeric_limits(AccessLimits, data, "pipeline.yaml: intake.access")


@dataclass(frozen=True)
class IntakeSettings:
    """How tabular items are read (``pipeline.yaml`` ``intake``; ``jobs.intake.parsers``, ``columns``).

    Attributes:
        header_search_rows: rows searched from the top for the header line (rows above it:
            ``junk_before_header``).
        max_quoted_lines: physical lines one quoted field may span before its first line is
            quarantined (``unbalanced_quote``).
        infer_sample_rows: rows sampled to infer the fields of a headerless table.
        infer_min_share: least share of a column's non-empty values matching a content rule, in (0, 1].
        max_items: evidence items per seizure (originals and archive members together); the
            items beyond it are refused (``too_many_items``).
        archives: the archive limits.
        workbooks: the XLSX limits.
        access: the limits of each mdbtools run on an Access database.
    """

    header_search_rows: int = 50
    max_quoted_lines: int = 50
    infer_sample_rows: int = 1000
    infer_min_share: float = 0.8
    max_items: int = 10000
    archives: ArchiveLimits = field(default_factory=ArchiveLimits)
    workbooks: WorkbookLimits = field(default_factory=WorkbookLimits)
    access: AccessLimits = field(default_factory=AccessLimits)

    def __post_init__(self) -> None:
        if not 0 < self.infer_min_share <= 1:
            raise ConfigError("pipeline.yaml: intake.infer_min_share must be in (0, 1]")
        for key in ("header_search_rows", "max_quoted_lines", "infer_sample_rows", "max_items"):
            if getattr(self, key) < 1:
                raise ConfigError(f"pipeline.yaml: intake.{key} must be >= 1")

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "IntakeSettings":
        """Raises:
            ConfigError: an unknown key, or a value that is not a number or out of range.
        """
        given = _known(data, _names(IntakeSettings), "pipeline.yaml: intake")
        archives = ArchiveLimits.from_dict(given.pop("archives", None))
        workbooks = WorkbookLimits.from_dict(given.pop("workbooks", None))
        access = AccessLimits.from_dict(given.pop("access", None))
        try:
            scalars = {k: type(getattr(IntakeSettings, k))(v) for k, v in given.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"pipeline.yaml: intake: {exc}") from exc
        return IntakeSettings(**scalars, archives=archives, workbooks=workbooks, access=access)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the parser options read it; the intake manifest records it)."""
        return asdict(self)

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict` (``intake_settings_digest`` of the intake manifest)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NormalizeSettings:
    """``pipeline.yaml`` ``normalize``.

    Attributes:
        name_protected_chars: characters that are legitimate name characters in both scripts:
            OpenCC t2s must not rewrite them when building the name match key (DOMAIN.md §5: 於 is
            a surname distinct from 于).
        document_type_codes: the document-type column's codes and labels (``CtfTp``, 证件类型) →
            document type, as ``(label, type)`` pairs (``jobs.normalize.documents``); empty: the
            type is taken from the number's shape only.
    """

    name_protected_chars: tuple[str, ...] = ()
    document_type_codes: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "NormalizeSettings":
        given = dict(_known(data, _names(NormalizeSettings), "pipeline.yaml: normalize"))
        codes = given.pop("document_type_codes", None) or {}
        # A mapping in the YAML; a list of pairs when read back from Config.to_json.
        pairs = list(codes.items()) if isinstance(codes, Mapping) else [tuple(p) for p in codes]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("pipeline.yaml: normalize.document_type_codes must map a label to a document type")
        return NormalizeSettings(**{k: tuple(str(c) for c in v or ()) for k, v in given.items()},
                                 document_type_codes=tuple((str(k), str(v)) for k, v in pairs))


@dataclass(frozen=True)
class CategoryRule:
    """One legal category: thresholds of art. 5 法释〔2017〕10号 and the fields that make it."""

    key: str
    law: str
    serious: int
    especially_serious: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class LegalRules:
    """The counting law of ``categories.yaml`` and the ``legal`` switches of ``pipeline.yaml``.

    Attributes:
        categories: the categories, most sensitive first; the last is every record's default.
        item_categories: glob on the item path → category key (the case team's assignment).
        tier_serious: weighted total (``Σ n_c / serious_c``) at which the case is 情节严重.
        tier_especially_serious: weighted total at which it is 情节特别严重 (art. 5(2) item 三).
        insider: art. 5(1) item 八: insiders are judged at half the thresholds (a per-case switch).
    """

    categories: tuple[CategoryRule, ...] = ()
    item_categories: dict[str, str] = field(default_factory=dict)
    tier_serious: float = 1.0
    tier_especially_serious: float = 10.0
    insider: bool = False

    def category(self, key: str) -> CategoryRule:
        """Raises:
            ConfigError: no category has that key.
        """
        for rule in self.categories:
            if rule.key == key:
                return rule
        raise ConfigError(f"unknown category {key!r}")

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "LegalRules":
        """From the JSON form of :meth:`Config.to_json`."""
        return LegalRules(**{**data, "categories": tuple(CategoryRule(**{**c, "fields": tuple(c["fields"])}) for c in data["categories"])})


@dataclass(frozen=True)
class Counting:
    """What the counts exclude or set apart (``linkage.yaml`` ``counting``; 法释〔2017〕10号 art. 11).

    Attributes:
        untrue: field → reason codes that make a record untrue (excluded with the reason).
        identifying_fields: fields of which one valid value keeps a masked record counted.
        identifying_field_pairs: field pairs that together do the same.
        bare_phone_fields: fields that alone make a "bare phone" record (counted on its own line).
        row_identifier_columns: headers of unmapped columns that number the rows (an auto-increment
            ``id``, a row number) and are left out when comparing rows for identical rows (issue 12);
            compared NFKC-folded, case-folded and trimmed.
    """

    untrue: dict[str, tuple[str, ...]] = field(default_factory=dict)
    identifying_fields: tuple[str, ...] = ()
    identifying_field_pairs: tuple[tuple[str, ...], ...] = ()
    bare_phone_fields: tuple[str, ...] = ()
    row_identifier_columns: tuple[str, ...] = ()

    @staticmethod
    def from_dict(data: Mapping[str, Any] | None) -> "Counting":
        given = _known(data, _names(Counting), "linkage.yaml: counting")
        return Counting(
            untrue={str(f): tuple(str(c) for c in codes or ()) for f, codes in (given.get("untrue") or {}).items()},
            identifying_fields=tuple(str(f) for f in given.get("identifying_fields") or ()),
            identifying_field_pairs=tuple(tuple(str(f) for f in pair) for pair in given.get("identifying_field_pairs") or ()),
            bare_phone_fields=tuple(str(f) for f in given.get("bare_phone_fields") or ()),
            row_identifier_columns=tuple(str(c) for c in given.get("row_identifier_columns") or ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """The rules as JSON-ready lists (recorded in ``counts.json``; read by ``classify_records``)."""
        return json.loads(json.dumps(asdict(self)))


# -------------------------------------------------------------------------------------- Config

#: The languages a case file can be written in (the texts: ``jobs/export/catalog.yaml``).
REPORT_LANGUAGES: tuple[str, ...] = ("zh-CN", "en")

#: The sections that decide what a run produces: :meth:`Config.digest` covers exactly these.
OUTPUT_SECTIONS: tuple[str, ...] = ("intake", "synonyms", "normalize", "legal", "counting", "linkage")


@dataclass(frozen=True)
class Config:
    """The resolved configuration of one pipeline run (immutable).

    Where and how it runs (not in the digest): ``home``, the storage backend, endpoint and buckets,
    the Spark master, profile and settings, and the fault-injection switch. What it produces (the
    digest): see :data:`OUTPUT_SECTIONS`.
    """

    home: str
    storage_backend: str = "local"
    minio_endpoint: str | None = None
    minio_secure: bool = False
    buckets: dict[str, str] = field(default_factory=lambda: {"evidence": "evidence", "work": "work", "casefiles": "casefiles"})
    spark_master: str = "local[*]"
    spark_profile: str = "local"
    #: The Spark settings of ``spark_profile`` (``configs/spark.yaml``) with ``CASEFILE_SPARK_CONF`` over them.
    spark_conf: dict[str, str] = field(default_factory=dict)
    #: Name of a stage that fails on start (drills of the rerun path); ``None``: none.
    fail_stage: str | None = None
    #: Language of the case file's pages, workbook and reader's guide (``pipeline.yaml``
    #: ``report.language``, ``CASEFILE_REPORT_LANGUAGE``): one of :data:`REPORT_LANGUAGES`. Not in
    #: the digest (it changes the words, not a count); the bundle's manifest records it.
    report_language: str = "zh-CN"
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    #: ``column_synonyms.yaml``: canonical field → source column headers.
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    normalize: NormalizeSettings = field(default_factory=NormalizeSettings)
    legal: LegalRules = field(default_factory=LegalRules)
    counting: Counting = field(default_factory=Counting)
    #: The probable-duplicate model (``configs/linkage.yaml`` ``linkage``); empty when the file is absent.
    linkage: LinkageSettings = field(default_factory=lambda: LinkageSettings(comparisons=(), blocking_rules=()))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) of every setting; round-trips through :func:`from_json`."""
        return json.dumps(asdict(self), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> "Config":
        data = json.loads(text)
        return Config(**{
            **data,
            "intake": IntakeSettings.from_dict(data["intake"]),
            "synonyms": {k: tuple(v) for k, v in data["synonyms"].items()},
            "normalize": NormalizeSettings.from_dict(data["normalize"]),
            "legal": LegalRules.from_dict(data["legal"]),
            "counting": Counting.from_dict(data["counting"]),
            "linkage": LinkageSettings.from_dict(data["linkage"]),
        })

    def digest(self) -> str:
        """SHA-256 of the settings that decide outputs (recorded in every manifest and summary.json).

        Exactly the sections of :data:`OUTPUT_SECTIONS`. Where the stores are, the Spark settings
        and the fault-injection switch do not change what a successful run produces, so they are
        left out: a fail-then-rerun, or the same seizure on a cluster with MinIO, gives the same digest.
        """
        data = json.loads(self.to_json())
        canonical = json.dumps({k: data[k] for k in OUTPUT_SECTIONS}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------- loading


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML mapping from ``path`` (the one YAML reader of casefile).

    Raises:
        ConfigError: the file is missing or is not a mapping.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file missing: {path}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must be a mapping")
    return data


def _read_yaml(name: str) -> dict[str, Any]:
    return read_yaml(config_dir() / name)


def _env_bool(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"not a boolean: {value!r}")


def _legal_rules(cats: Mapping[str, Any], legal: Mapping[str, Any], env: Mapping[str, str]) -> LegalRules:
    cats = _known(cats, ("categories", "item_categories", "tier_rule"), "categories.yaml")
    legal = _known(legal, ("insider",), "pipeline.yaml: legal")
    tier = _known(cats.get("tier_rule"), ("serious", "especially_serious"), "categories.yaml: tier_rule")
    if not isinstance(cats.get("categories"), Mapping) or not cats["categories"]:
        raise ConfigError("categories.yaml: categories must be a non-empty mapping")
    values: dict[str, Any] = {
        "categories": tuple(
            CategoryRule(key=key, law=str(c.get("law", "")), serious=int(c["serious"]),
                         especially_serious=int(c["especially_serious"]), fields=tuple(c.get("fields") or ()))
            for key, c in cats["categories"].items()
        ),
        "item_categories": dict(cats.get("item_categories") or {}),
    }
    if "serious" in tier:
        values["tier_serious"] = float(tier["serious"])
    if "especially_serious" in tier:
        values["tier_especially_serious"] = float(tier["especially_serious"])
    if "CASEFILE_INSIDER" in env:
        values["insider"] = _env_bool(env["CASEFILE_INSIDER"])
    elif "insider" in legal:
        values["insider"] = bool(legal["insider"])
    return LegalRules(**values)


def _override(config: Config, key: str, value: Any) -> Config:
    """``config`` with the setting ``key`` (a field, or ``section.field``) set to ``value``."""
    head, _, rest = key.partition(".")
    if head not in _names(Config):
        raise ConfigError(f"unknown setting {key!r}")
    if not rest:
        return replace(config, **{head: value})
    section = getattr(config, head)
    if rest not in _names(type(section)):
        raise ConfigError(f"unknown setting {key!r}")
    return replace(config, **{head: replace(section, **{rest: value})})


def load_config(overrides: Mapping[str, Any] | None = None) -> Config:
    """Resolve the configuration: YAML < environment < ``overrides``.

    Environment variables: ``CASEFILE_HOME``, ``CASEFILE_STORAGE`` (local|minio),
    ``CASEFILE_MINIO_ENDPOINT``, ``CASEFILE_MINIO_SECURE``, ``CASEFILE_SPARK_MASTER``,
    ``CASEFILE_SPARK_PROFILE``, ``CASEFILE_INSIDER``, ``CASEFILE_FAIL_STAGE``, ``CASEFILE_REPORT_LANGUAGE``,
    ``CASEFILE_SPARK_CONF`` (JSON object of extra Spark settings, merged over the profile).

    Args:
        overrides: setting → value, a setting being a :class:`Config` field (``spark_master``) or
            ``section.field`` (``legal.insider``).

    Raises:
        ConfigError: a file is missing, a key is unknown, or a value is not valid.
    """
    pipeline = _known(_read_yaml("pipeline.yaml"), ("storage", "spark", "normalize", "legal", "fault_injection", "intake", "report"),
                     "pipeline.yaml")
    spark_profiles = _read_yaml("spark.yaml").get("profiles") or {}
    linkage_yaml = _read_yaml("linkage.yaml") if (config_dir() / "linkage.yaml").is_file() else {}
    env = os.environ

    storage = _known(pipeline.get("storage"), ("backend", "minio_endpoint", "minio_secure", "buckets"), "pipeline.yaml: storage")
    spark = _known(pipeline.get("spark"), ("master", "profile"), "pipeline.yaml: spark")
    faults = _known(pipeline.get("fault_injection"), ("fail_stage",), "pipeline.yaml: fault_injection")
    report = _known(pipeline.get("report"), ("language",), "pipeline.yaml: report")
    # Given values only: a setting the YAML and the environment are silent on keeps its field's default.
    given: dict[str, Any] = {
        "storage_backend": env.get("CASEFILE_STORAGE", storage.get("backend")),
        "minio_endpoint": env.get("CASEFILE_MINIO_ENDPOINT", storage.get("minio_endpoint")),
        "minio_secure": _env_bool(env["CASEFILE_MINIO_SECURE"]) if "CASEFILE_MINIO_SECURE" in env else storage.get("minio_secure"),
        "buckets": storage.get("buckets"),
        "spark_master": env.get("CASEFILE_SPARK_MASTER", spark.get("master")),
        "spark_profile": env.get("CASEFILE_SPARK_PROFILE", spark.get("profile")),
        "fail_stage": env.get("CASEFILE_FAIL_STAGE") or faults.get("fail_stage"),
        "report_language": env.get("CASEFILE_REPORT_LANGUAGE") or report.get("language"),
    }
    values: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if "minio_secure" in values:
        values["minio_secure"] = bool(values["minio_secure"])
    if "buckets" in values:
        values["buckets"] = {str(k): str(v) for k, v in values["buckets"].items()}
    config = Config(
        home=str(casefile_home()),
        **values,
        intake=IntakeSettings.from_dict(pipeline.get("intake")),
        synonyms={field_: tuple(str(s) for s in names) for field_, names in _read_yaml("column_synonyms.yaml").items()},
        normalize=NormalizeSettings.from_dict(pipeline.get("normalize")),
        legal=_legal_rules(_read_yaml("categories.yaml"), pipeline.get("legal") or {}, env),
        counting=Counting.from_dict(linkage_yaml.get("counting")),
        linkage=(LinkageSettings.from_dict(linkage_yaml["linkage"]) if linkage_yaml.get("linkage")
                 else LinkageSettings(comparisons=(), blocking_rules=())),
    )
    for key, value in (overrides or {}).items():
        config = _override(config, key, value)
    if config.report_language not in REPORT_LANGUAGES:
        raise ConfigError(f"report.language must be one of {', '.join(REPORT_LANGUAGES)}, not {config.report_language!r}")
    if config.storage_backend not in ("local", "minio"):
        raise ConfigError(f"storage backend must be local or minio, not {config.storage_backend!r}")
    profile = spark_profiles.get(config.spark_profile)
    if profile is None:
        raise ConfigError(f"unknown Spark profile {config.spark_profile!r} (configs/spark.yaml)")
    spark_conf = {str(k): str(v) for k, v in profile.items()}
    if env.get("CASEFILE_SPARK_CONF"):  # extra Spark settings as a JSON object (benchmarks, tuning)
        try:
            extra_conf = json.loads(env["CASEFILE_SPARK_CONF"])
        except ValueError as exc:
            raise ConfigError("CASEFILE_SPARK_CONF must be a JSON object of Spark settings") from exc
        spark_conf.update({str(k): str(v) for k, v in extra_conf.items()})
    return replace(config, spark_conf=spark_conf)
