"""Case-level report: art. 11 counts over the seizures of one case, and cross-seizure overlap.

A case holds several seizures (one per suspect or per sale). This module reads each seizure's latest
published bundle (``casefiles/<case>/<seizure>/latest``) through the :class:`~jobs.common.storage.Storage`
interface, verifies it against its ``SHA256SUMS`` (an unverified bundle is refused, naming the file),
and writes the case report folder ``casefiles/<case>/_case/<digest>/`` (``_case`` cannot be a seizure
id: ids start with a letter or digit) and ``casefiles/<case>/_case/latest``, or a ``--dest`` folder:

- ``case_summary.json`` / ``case_summary.html``: per seizure its counts (from its ``summary.json``,
  both bounds when present); per suspect the art. 11 count; for the case the distinct records; the
  overlap counts per ordered pair of seizures. Every number names the rule that produced it.
- ``cross_seizure_overlap.csv`` (UTF-8 with BOM): per ordered pair of seizures, the records of one
  that also occur in the other, exact or probable, with the locators on both sides.
- ``manifest.json`` (the input bundles and the SHA-256 of their ``summary.json``/``manifest.json``,
  the roles, the code version, the hashes of every file) and ``SHA256SUMS``.

Counting rules, 法释〔2017〕10号 art. 11 (DOMAIN.md §1):

- item 1 (非法获取公民个人信息后又出售或者提供的，条数不重复计算): a record one suspect obtained and
  then sold counts once for that suspect;
- item 2 (向不同单位或者个人分别出售、提供同一公民个人信息的，条数累计计算): a record one suspect sold
  to different buyers counts once per buyer;
- item 3 (批量公民个人信息的条数，根据查获的数量直接认定，但是有证据证明信息不真实或者重复的除外):
  each seizure counts as seized minus untrue and duplicated records (its own bundle), and the same
  record in two seizures of one suspect is one record.

So for a suspect with seizures of kind ``obtained`` (or plain holdings) and ``sold_to: <buyer>``:
``art11_count = distinct_records + extra_buyer_sales`` where ``distinct_records`` is the number of
distinct records over all the suspect's seizures (items 1 and 3) and ``extra_buyer_sales`` is
``Σ_record max(buyers(record) − 1, 0)`` (item 2). Only records whose ``count_status`` is ``counted``
enter the categories; ``bare_phone`` records are counted on their own line, as in each bundle.

Identity of a record across seizures:

- upper bound: the exact content key (``content_key`` of the bundle, or recomputed from the normalized
  columns of ``records.csv`` with :func:`jobs.deduplicate.transforms.with_content_key`, the function
  the deduplicate stage uses);
- lower bound: records the seizure itself marked as probable duplicates are left out (their
  ``lower_category`` is empty), and records are merged across seizures on a coarser key: the valid ID
  number when there is one, else the name key + valid phone when both are there, else the content key.
  Two different valid ID numbers never share this key (issue 5 guard rail).

Nothing here logs or prints record values: only counts, hashes, seizure ids and locations.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from jobs.common import paths
from jobs.common.config import Config, config_dir, load_config
from jobs.common.custody import HASH_ALGORITHMS, canonical_json, hash_file, verify_sha256sums
from jobs.common.errors import ConfigError, EvidenceIntegrityError
from jobs.common.storage import Storage

log = logging.getLogger("casefile")

#: Folder of the case reports inside ``casefiles/<case>/`` (never a seizure id: ids start alnum).
CASE_DIR = "_case"
BOM = "\ufeff".encode("utf-8")
GOOD_STATUSES = ("valid", "repaired")

ART11_ITEM1 = ("法释〔2017〕10号 art. 11 item 1: a record a suspect obtained and then sold or provided is not counted twice "
               "(非法获取公民个人信息后又出售或者提供的，公民个人信息的条数不重复计算)")
ART11_ITEM2 = ("法释〔2017〕10号 art. 11 item 2: the same record sold or provided to different buyers counts once per buyer "
               "(向不同单位或者个人分别出售、提供同一公民个人信息的，公民个人信息的条数累计计算)")
ART11_ITEM3 = ("法释〔2017〕10号 art. 11 item 3: bulk records count as seized, minus those shown to be untrue or duplicated "
               "(批量公民个人信息的条数，根据查获的数量直接认定，但是有证据证明信息不真实或者重复的除外)")

#: Columns of ``cross_seizure_overlap.csv``, in order.
OVERLAP_COLUMNS: tuple[str, ...] = (
    "seizure_id", "other_seizure_id", "match", "record_id", "count_status", "item_sha256", "item_path", "sheet", "line_number",
    "other_record_id", "other_count_status", "other_item_sha256", "other_item_path", "other_sheet", "other_line_number",
)
#: Match kinds, strongest first: same content key; same valid ID number; same name key + valid phone.
MATCH_KINDS: tuple[str, ...] = ("exact", "probable_id_number", "probable_name_phone")


# --------------------------------------------------------------------------- roles


@dataclass(frozen=True)
class Role:
    """What one seizure is in the case.

    Attributes:
        seizure_id: the seizure.
        suspect: who held it (string).
        transaction: ``obtained`` (held or obtained by the suspect: no buyer), or ``sold`` with ``buyer``.
        buyer: to whom the suspect sold it (``sold`` only), else ``""``.
    """

    seizure_id: str
    suspect: str
    transaction: str
    buyer: str = ""

    def to_dict(self) -> dict[str, str]:
        d = {"suspect": self.suspect, "transaction": self.transaction}
        if self.buyer:
            d["buyer"] = self.buyer
        return d


def roles_path(case_id: str) -> Path:
    """``configs/cases/<case>.yaml`` (under ``CASEFILE_CONFIG_DIR`` when set)."""
    return config_dir() / "cases" / f"{paths.check_id('case_id', case_id)}.yaml"


def parse_roles(data: Mapping[str, Any] | None, seizures: Sequence[str]) -> dict[str, Role]:
    """Roles of the seizures from a roles document.

    Document: ``{"seizures": {<seizure>: {"suspect": str, "transaction": "obtained"}}}`` or
    ``{... {"suspect": str, "sold_to": <buyer>}}`` (also ``transaction: {sold_to: <buyer>}``).
    A seizure the document does not name is its own suspect, ``obtained``.

    Raises:
        ConfigError: an entry names no suspect, an unknown transaction, or a seizure with no bundle.
    """
    entries = dict((data or {}).get("seizures") or {})
    unknown = sorted(set(entries) - set(seizures))
    if unknown:
        raise ConfigError(f"roles name seizures with no published bundle: {', '.join(unknown)}")
    roles: dict[str, Role] = {}
    for s in seizures:
        e = entries.get(s)
        if e is None:
            roles[s] = Role(s, s, "obtained")
            continue
        if not isinstance(e, Mapping) or not str(e.get("suspect") or "").strip():
            raise ConfigError(f"roles of seizure {s}: 'suspect' is required")
        txn = e.get("transaction", "obtained" if "sold_to" not in e else None)
        buyer = e.get("sold_to")
        if isinstance(txn, Mapping) and "sold_to" in txn:
            buyer = txn["sold_to"]
            txn = None
        if buyer is not None and txn is None:
            if not str(buyer).strip():
                raise ConfigError(f"roles of seizure {s}: 'sold_to' needs a buyer")
            roles[s] = Role(s, str(e["suspect"]).strip(), "sold", str(buyer).strip())
        elif txn == "obtained" and buyer is None:
            roles[s] = Role(s, str(e["suspect"]).strip(), "obtained")
        else:
            raise ConfigError(f"roles of seizure {s}: transaction must be 'obtained' or 'sold_to: <buyer>'")
    return roles


def load_roles(case_id: str, seizures: Sequence[str], roles_file: Path | None = None) -> tuple[dict[str, Role], dict[str, Any]]:
    """Roles from ``roles_file``, else ``configs/cases/<case>.yaml``, else every seizure its own suspect.

    Returns:
        ``(roles, source)``; ``source``: ``{"file": name or None, "sha256": hex or None}``.
    """
    path = Path(roles_file) if roles_file else roles_path(case_id)
    if not path.is_file():
        if roles_file:
            raise ConfigError(f"roles file not found: {path}")
        return parse_roles(None, seizures), {"file": None, "sha256": None}
    raw = path.read_bytes()
    return parse_roles(yaml.safe_load(raw.decode("utf-8")) or {}, seizures), {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest()}


# --------------------------------------------------------------------------- input bundles


def verify_sums(folder: Path) -> list[str]:
    """Problems checking ``folder`` against its ``SHA256SUMS`` (empty: verified); the rule of
    ``casefile verify`` (:func:`jobs.common.custody.verify_sha256sums`)."""
    return verify_sha256sums(folder)


@dataclass(frozen=True)
class Bundle:
    """One seizure's verified bundle, copied to a local folder."""

    seizure_id: str
    run_key: str
    folder: Path
    summary: dict

    def input_entry(self) -> dict[str, str]:
        return {"seizure_id": self.seizure_id, "run": self.run_key,
                "summary_sha256": hash_file(self.folder / "summary.json")["sha256"],
                "manifest_sha256": hash_file(self.folder / "manifest.json")["sha256"],
                "sha256sums_sha256": hash_file(self.folder / "SHA256SUMS")["sha256"]}


def case_seizures(storage: Storage, case_id: str) -> list[str]:
    """Seizures of ``case_id`` with a published bundle (a ``latest`` pointer), sorted."""
    prefix = paths.check_id("case_id", case_id)
    out = set()
    for key in storage.list("casefiles", prefix):
        parts = key.split("/")
        if len(parts) == 3 and parts[2] == "latest" and parts[1] != CASE_DIR:
            out.add(parts[1])
    return sorted(out)


def fetch_bundle(storage: Storage, case_id: str, seizure_id: str, dest: Path) -> Bundle:
    """Copy the latest bundle of a seizure to ``dest`` and verify it (as ``casefile pull`` does).

    Raises:
        EvidenceIntegrityError: no published bundle, or the bundle does not match its SHA256SUMS
            (the message names the seizure, the run and each file that failed).
    """
    pointer = paths.latest_pointer(case_id, seizure_id)
    if not storage.exists("casefiles", pointer):
        raise EvidenceIntegrityError(f"no published case file for {case_id}/{seizure_id}")
    run_key = storage.read_bytes("casefiles", pointer).decode().strip()
    paths.check_id("run", run_key)
    prefix = f"{paths.evidence_prefix(case_id, seizure_id)}/{run_key}"
    for key in storage.list("casefiles", prefix):
        storage.get_file("casefiles", key, dest / key[len(prefix) + 1:])
    problems = verify_sums(dest)
    if problems:
        raise EvidenceIntegrityError(f"bundle {case_id}/{seizure_id}/{run_key} refused, it does not match its SHA256SUMS: " + "; ".join(problems))
    summary = json.loads((dest / "summary.json").read_text(encoding="utf-8"))
    return Bundle(seizure_id, run_key, dest, summary)


# --------------------------------------------------------------------------- Spark


def read_records(spark, bundle: Bundle, role: Role, category_keys: Sequence[str]):
    """``records.csv`` of a bundle as a DataFrame with the columns the case report needs.

    Out (one row per record of ``records.csv``): ``seizure_id``, ``suspect``, ``transaction``,
    ``buyer`` (string, NULL unless sold), ``record_id``, ``count_status`` (string; ``counted`` for a
    bundle written before count statuses existed), ``bucket`` (the category key for a ``counted``
    record, ``bare_phone``, or NULL when excluded), ``rank`` / ``lower_rank`` (int, position of the
    category in ``category_keys``; ``lower_rank`` NULL for a probable duplicate of its seizure),
    ``exact_key`` (string, content key), ``lower_key`` (string), ``id_valid`` (string, the valid ID
    number or NULL), ``name_phone`` (string key or NULL) and the locator ``item_sha256``,
    ``item_path``, ``sheet``, ``line_number`` (string as written, ``line_no`` long for ordering).
    """
    from pyspark.sql import functions as F

    from jobs.deduplicate.transforms import CONTENT_COLUMNS, with_content_key

    df = (spark.read.option("header", True).option("multiLine", True).option("escape", '"').option("quote", '"')
          .option("encoding", "UTF-8").option("inferSchema", False).csv(str(bundle.folder / "records.csv")))
    df = df.toDF(*[c.lstrip("\ufeff") for c in df.columns])
    orig = set(df.columns)
    for c in ("count_status", "lower_category", "content_key", "id_number_status", "phone_status", *CONTENT_COLUMNS):
        if c not in df.columns:
            df = df.withColumn(c, F.lit(None).cast("string"))
    if "content_key" in orig:
        keyed = df
    else:
        keyed = with_content_key(df.drop("content_key"), CONTENT_COLUMNS)
    ranks = F.create_map(*[x for i, k in enumerate(category_keys) for x in (F.lit(k), F.lit(i))])
    status = F.coalesce(F.col("count_status"), F.lit("counted"))
    lower_cat = F.col("lower_category") if "lower_category" in orig else F.col("category")
    id_valid = F.when(F.col("id_number_status").isin(*GOOD_STATUSES), F.col("id_number"))
    name_phone = F.when(F.col("name_key").isNotNull() & F.col("phone_status").isin(*GOOD_STATUSES),
                        F.concat_ws("\u001f", F.col("name_key"), F.col("phone")))
    return keyed.select(
        F.lit(bundle.seizure_id).alias("seizure_id"), F.lit(role.suspect).alias("suspect"), F.lit(role.transaction).alias("transaction"),
        F.lit(role.buyer or None).cast("string").alias("buyer"), "record_id", status.alias("count_status"),
        F.when(status == "counted", F.col("category")).when(status == "bare_phone", F.lit("bare_phone")).alias("bucket"),
        ranks[F.col("category")].cast("int").alias("rank"),
        ranks[lower_cat].cast("int").alias("lower_rank"),
        F.col("content_key").alias("exact_key"),
        F.coalesce(F.concat(F.lit("id:"), id_valid), F.concat(F.lit("np:"), name_phone), F.concat(F.lit("ck:"), F.col("content_key"))).alias("lower_key"),
        id_valid.alias("id_valid"), name_phone.alias("name_phone"),
        "item_sha256", "item_path", F.coalesce(F.col("sheet"), F.lit("")).alias("sheet"), "line_number",
        F.col("line_number").cast("long").alias("line_no"),
    )


def art11_counts(records, category_keys: Sequence[str], key: str, rank: str) -> dict[str, dict[str, Any]]:
    """Per suspect, per bucket: distinct records, records obtained and also sold, extra buyer sales, art. 11 count.

    In: :func:`read_records` rows (``suspect``, ``transaction``, ``buyer``, ``bucket``, ``key``, ``rank``).
    A record (one ``key``) takes the most sensitive category among the suspect's copies of it
    (lowest ``rank``); a record that is ``bare_phone`` in every copy is in ``bare_phone``.

    Out: ``{suspect: {bucket: {"distinct_records", "obtained_and_sold", "extra_buyer_sales", "art11_count"}}}``
    (ints) with ``art11_count = distinct_records + extra_buyer_sales`` (art. 11 items 1–3).
    """
    from pyspark.sql import functions as F

    keys = F.array(*[F.lit(k) for k in category_keys])
    counted = records.where(F.col("bucket").isNotNull() & F.col(key).isNotNull() & F.col(rank).isNotNull())
    # element_at with a NULL index returned an element in Spark here: choose bare_phone with an explicit when.
    per = (counted.groupBy("suspect", key)
           .agg(F.min(F.when(F.col("bucket") != "bare_phone", F.col(rank))).alias("r"),
                F.countDistinct("buyer").alias("nb"),
                F.max((F.col("transaction") == "obtained").cast("int")).alias("obtained"))
           .withColumn("bucket", F.when(F.col("r").isNotNull(), F.element_at(keys, F.col("r") + 1)).otherwise(F.lit("bare_phone"))))
    rows = (per.groupBy("suspect", "bucket")
            .agg(F.count(F.lit(1)).alias("distinct_records"),
                 F.sum(((F.col("obtained") == 1) & (F.col("nb") > 0)).cast("long")).alias("obtained_and_sold"),
                 F.sum(F.greatest(F.col("nb") - 1, F.lit(0))).alias("extra_buyer_sales"))
            .collect())
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        d, extra = int(r["distinct_records"]), int(r["extra_buyer_sales"])
        out.setdefault(r["suspect"], {})[r["bucket"]] = {"distinct_records": d, "obtained_and_sold": int(r["obtained_and_sold"]),
                                                         "extra_buyer_sales": extra, "art11_count": d + extra}
    return out


def case_distinct(records, category_keys: Sequence[str], key: str, rank: str) -> dict[str, int]:
    """Distinct records over every seizure of the case, per bucket (a record once however many seizures hold it)."""
    from pyspark.sql import functions as F

    keys = F.array(*[F.lit(k) for k in category_keys])
    counted = records.where(F.col("bucket").isNotNull() & F.col(key).isNotNull() & F.col(rank).isNotNull())
    per = counted.groupBy(key).agg(F.min(F.when(F.col("bucket") != "bare_phone", F.col(rank))).alias("r")) \
        .withColumn("bucket", F.when(F.col("r").isNotNull(), F.element_at(keys, F.col("r") + 1)).otherwise(F.lit("bare_phone")))
    return {r["bucket"]: int(r["count"]) for r in per.groupBy("bucket").count().collect()}


def overlap(records):
    """Rows of ``cross_seizure_overlap.csv``: for each ordered pair of seizures, the records of the first
    that also occur in the second.

    In: :func:`read_records` rows of every seizure. A pair of records matches ``exact`` (same content
    key), else ``probable_id_number`` (same valid ID number), else ``probable_name_phone`` (same name
    key and valid phone, and not two different valid ID numbers: issue 5 guard rail). Each pair of
    records appears once, with its strongest match. Out: :data:`OVERLAP_COLUMNS` (strings) plus
    ``line_no`` / ``other_line_no`` (long, for ordering).
    """
    from pyspark.sql import functions as F

    cols = ["seizure_id", "record_id", "count_status", "item_sha256", "item_path", "sheet", "line_number", "line_no"]
    a = records.select(*cols, "exact_key", "id_valid", "name_phone")
    b = a.select(*[F.col(c).alias(f"other_{c}") for c in a.columns])
    other = lambda c: F.col(f"other_{c}")  # noqa: E731
    diff = F.col("seizure_id") != other("seizure_id")
    parts = [
        a.join(b, (F.col("exact_key") == other("exact_key")) & diff).withColumn("m", F.lit(0)),
        a.join(b, (F.col("id_valid") == other("id_valid")) & diff).withColumn("m", F.lit(1)),
        a.join(b, (F.col("name_phone") == other("name_phone")) & diff
               & ~(F.col("id_valid").isNotNull() & other("id_valid").isNotNull() & (F.col("id_valid") != other("id_valid")))).withColumn("m", F.lit(2)),
    ]
    allm = parts[0].unionByName(parts[1]).unionByName(parts[2])
    best = allm.groupBy(*cols, *[f"other_{c}" for c in cols]).agg(F.min("m").alias("m"))
    kinds = F.array(*[F.lit(k) for k in MATCH_KINDS])
    return best.withColumn("match", F.element_at(kinds, F.col("m") + 1)).drop("m")


def overlap_counts(pairs, seizures: Sequence[str]) -> list[dict[str, Any]]:
    """Per ordered pair of seizures: records of the first with an exact match in the second, with only a
    probable match, and overlap rows. Every ordered pair is listed (zeros when none)."""
    from pyspark.sql import functions as F

    per = pairs.groupBy("seizure_id", "other_seizure_id", "record_id").agg(F.min(F.when(F.col("match") == "exact", 0).otherwise(1)).alias("p"), F.count(F.lit(1)).alias("rows"))
    got = {(r["seizure_id"], r["other_seizure_id"]): r for r in
           per.groupBy("seizure_id", "other_seizure_id")
           .agg(F.sum((F.col("p") == 0).cast("long")).alias("exact"), F.sum((F.col("p") == 1).cast("long")).alias("probable"), F.sum("rows").alias("rows"))
           .collect()}
    out = []
    for s in seizures:
        for o in seizures:
            if s != o:
                r = got.get((s, o))
                out.append({"seizure_id": s, "other_seizure_id": o,
                            "exact_records": int(r["exact"]) if r else 0, "probable_only_records": int(r["probable"]) if r else 0,
                            "overlap_rows": int(r["rows"]) if r else 0})
    return out


def write_csv(df, columns: Sequence[str], order: Sequence, dest: Path, scratch: Path) -> int:
    """Write ``df[columns]`` sorted by ``order`` as one RFC 4180 CSV, UTF-8 with BOM and header
    (the bytes depend only on the data: sorted partitions concatenated in order). Returns data rows."""
    location = scratch / dest.name
    (df.orderBy(*order).select(*columns).write.mode("overwrite")
       .option("header", False).option("quote", '"').option("escape", '"').option("escapeQuotes", True)
       .option("ignoreLeadingWhiteSpace", False).option("ignoreTrailingWhiteSpace", False)
       .option("nullValue", "").option("emptyValue", '""').option("lineSep", "\n").option("encoding", "UTF-8")
       .csv(str(location)))
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(columns)
    with open(dest, "wb") as out:
        out.write(BOM + head.getvalue().encode("utf-8"))
        for part in sorted(location.glob("part-*.csv")):
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out)
    with open(dest, encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


# --------------------------------------------------------------------------- the report


def _bound_view(per_bucket: Mapping[str, Mapping[str, int]] | Mapping[str, int], config: Config, insider: bool, value: str | None) -> dict[str, Any]:
    from jobs.export.report import category_summary

    get = (lambda b: int((per_bucket.get(b) or {}).get(value, 0))) if value else (lambda b: int(per_bucket.get(b, 0)))
    keys = [r.key for r in config.legal.categories]
    s = category_summary({k: get(k) for k in keys}, config.legal.categories, insider=insider,
                         tier_serious=config.legal.tier_serious, tier_especially_serious=config.legal.tier_especially_serious)
    return {"unique_records": sum(get(k) for k in keys), **s, "bare_phone_records": get("bare_phone")}


def seizure_entry(bundle: Bundle, role: Role) -> dict[str, Any]:
    """Counts of one seizure from its ``summary.json`` (art. 11 item 3), both bounds when present."""
    s = bundle.summary
    entry: dict[str, Any] = {"run": bundle.run_key, **role.to_dict(),
                             **{k: s.get(k) for k in ("raw_rows", "quarantined_rows", "records", "duplicate_records", "unique_records",
                                                      "weighted_total", "tier") if k in s},
                             "categories": {k: v.get("unique_records") for k, v in (s.get("categories") or {}).items()},
                             "rule": ART11_ITEM3}
    for b in ("upper_bound", "lower_bound"):
        if b in s:
            entry[b] = {"unique_records": s[b].get("unique_records"), "weighted_total": s[b].get("weighted_total"), "tier": s[b].get("tier"),
                        "categories": {k: v.get("unique_records") for k, v in s[b].get("categories", {}).items()}}
    if "bare_phone_records" in s:
        entry["bare_phone_records"] = s["bare_phone_records"]
    if "upper_bound" not in s:
        entry["note"] = "bundle written before count statuses: untrue and masked records are not set apart in its counts"
    return entry


def build_report(spark, bundles: Sequence[Bundle], roles: Mapping[str, Role], config: Config, out: Path, scratch: Path) -> dict[str, Any]:
    """Write ``case_summary.json``, ``case_summary.html`` and ``cross_seizure_overlap.csv`` to ``out``.

    Returns:
        The case summary (also written as ``case_summary.json``).
    """
    from pyspark.sql import functions as F

    keys = [r.key for r in config.legal.categories]
    frames = [read_records(spark, b, roles[b.seizure_id], keys) for b in bundles]
    records = frames[0]
    for f in frames[1:]:
        records = records.unionByName(f)
    records = records.localCheckpoint()
    seizures = [b.seizure_id for b in bundles]

    upper = art11_counts(records, keys, "exact_key", "rank")
    lower = art11_counts(records, keys, "lower_key", "lower_rank")
    suspects: dict[str, Any] = {}
    for suspect in sorted({r.suspect for r in roles.values()}):
        own = sorted(s for s, r in roles.items() if r.suspect == suspect)
        buyers = sorted({roles[s].buyer for s in own if roles[s].transaction == "sold"})
        entry: dict[str, Any] = {"seizures": own, "buyers": buyers}
        for name, per in (("upper_bound", upper.get(suspect, {})), ("lower_bound", lower.get(suspect, {}))):
            totals = {v: sum(int(c[v]) for b, c in per.items() if b != "bare_phone") for v in ("distinct_records", "obtained_and_sold", "extra_buyer_sales", "art11_count")}
            entry[name] = {
                **_bound_view(per, config, config.legal.insider, "art11_count"),
                "distinct_records": totals["distinct_records"], "obtained_and_sold": totals["obtained_and_sold"],
                "extra_buyer_sales": totals["extra_buyer_sales"], "art11_count": totals["art11_count"],
                "by_bucket": {b: dict(sorted(c.items())) for b, c in sorted(per.items())},
                "rules": {"distinct_records": ART11_ITEM3 + "; the same record in several seizures of this suspect once",
                          "obtained_and_sold": ART11_ITEM1 + ": records both obtained and sold, counted once",
                          "extra_buyer_sales": ART11_ITEM2 + ": one more for each further buyer of the same record",
                          "art11_count": "distinct_records + extra_buyer_sales (art. 11 items 1, 2 and 3); the categories, weighted total and tier use this count"},
            }
        suspects[suspect] = entry
    pairs = overlap(records).localCheckpoint()
    summary = {
        "case_id": None,  # filled by the caller
        "seizures": {b.seizure_id: seizure_entry(b, roles[b.seizure_id]) for b in bundles},
        "suspects": suspects,
        "case": {name: {**_bound_view(case_distinct(records, keys, k, r), config, config.legal.insider, None),
                        "rule": ART11_ITEM3 + "; across the whole case each record once, whichever seizures hold it (the scale of the case, "
                                "not the count of any one suspect)"}
                 for name, k, r in (("upper_bound", "exact_key", "rank"), ("lower_bound", "lower_key", "lower_rank"))},
        "overlap": overlap_counts(pairs, seizures),
        "overlap_rule": ("records of the first seizure also found in the second: exact = same content key (the deduplicate stage's key); "
                         "probable = same valid ID number, or same name key and valid phone without two different valid ID numbers "
                         "(evidence of upstream/downstream trading between suspects)"),
        "identity": {"upper_bound": "same content key (jobs.deduplicate.transforms.with_content_key)",
                     "lower_bound": "probable duplicates of each seizure left out; across seizures: valid ID number, else name key + valid phone, else content key"},
        "insider": config.legal.insider,
        "config_digest": config.digest(),
    }
    order = [F.col("seizure_id"), F.col("other_seizure_id"), F.col("item_path"), F.col("sheet"), F.col("line_no"), F.col("record_id"),
             F.col("other_item_path"), F.col("other_sheet"), F.col("other_line_no"), F.col("other_record_id")]
    summary["overlap_rows"] = write_csv(pairs, OVERLAP_COLUMNS, order, out / "cross_seizure_overlap.csv", scratch)
    return summary


def render_html(summary: Mapping[str, Any], manifest_digest: str) -> str:
    """A self-contained HTML page of the case summary (no scripts, no external resources)."""
    e = html.escape
    tiers = {"below_threshold": "below the threshold (未达情节严重)", "serious": "serious (情节严重)", "especially_serious": "especially serious (情节特别严重)"}
    cats = list(next(iter(summary["case"].values()))["categories"])
    head = "".join(f"<th>{e(c)}</th>" for c in cats)
    srows = []
    for s, d in summary["seizures"].items():
        role = f"{e(d['suspect'])}, " + (f"sold to {e(d['buyer'])}" if d.get("buyer") else "obtained")
        for b in ("upper_bound", "lower_bound"):
            if b in d:
                srows.append(f"<tr><td>{e(s)}</td><td>{role}</td><td>{e(b.replace('_', ' '))}</td>" + "".join(f"<td class=n>{int(d[b]['categories'].get(c) or 0):,}</td>" for c in cats)
                             + f"<td class=n>{d[b]['weighted_total']}</td><td>{e(tiers.get(d[b]['tier'], str(d[b]['tier'])))}</td></tr>")
        if "upper_bound" not in d:
            srows.append(f"<tr><td>{e(s)}</td><td>{role}</td><td>unique records</td>" + "".join(f"<td class=n>{int(d['categories'].get(c) or 0):,}</td>" for c in cats)
                         + f"<td class=n>{d.get('weighted_total')}</td><td>{e(tiers.get(d.get('tier'), str(d.get('tier'))))}</td></tr>")
    prows = []
    for p, d in summary["suspects"].items():
        for b in ("upper_bound", "lower_bound"):
            x = d[b]
            prows.append(f"<tr><td>{e(p)}</td><td>{e(', '.join(d['seizures']))}</td><td>{e(', '.join(d['buyers'])) or '—'}</td><td>{e(b.replace('_', ' '))}</td>"
                         f"<td class=n>{x['distinct_records']:,}</td><td class=n>{x['obtained_and_sold']:,}</td><td class=n>{x['extra_buyer_sales']:,}</td>"
                         f"<td class=n><b>{x['art11_count']:,}</b></td>" + "".join(f"<td class=n>{x['categories'][c]['unique_records']:,}</td>" for c in cats)
                         + f"<td class=n>{x['bare_phone_records']:,}</td><td class=n>{x['weighted_total']:.6f}</td><td>{e(tiers[x['tier']])}</td></tr>")
    crows = "".join(f"<tr><td>{e(b.replace('_', ' '))}</td>" + "".join(f"<td class=n>{x['categories'][c]['unique_records']:,}</td>" for c in cats)
                    + f"<td class=n>{x['bare_phone_records']:,}</td><td class=n>{x['weighted_total']:.6f}</td><td>{e(tiers[x['tier']])}</td></tr>"
                    for b, x in summary["case"].items())
    orows = "".join(f"<tr><td>{e(o['seizure_id'])}</td><td>{e(o['other_seizure_id'])}</td><td class=n>{o['exact_records']:,}</td>"
                    f"<td class=n>{o['probable_only_records']:,}</td><td class=n>{o['overlap_rows']:,}</td></tr>" for o in summary["overlap"])
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Case report {e(summary['case_id'])}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #999;padding:.3em .6em;text-align:left}}.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body>
<h1>Case report {e(summary['case_id'])}</h1>
<p>Manifest SHA-256 <code>{e(manifest_digest)}</code>. Inputs: the latest verified bundle of each seizure (<code>manifest.json</code> names them
with the SHA-256 of their <code>summary.json</code> and <code>manifest.json</code>).</p>
<h2>Per seizure</h2>
<p>{e(ART11_ITEM3)}. Numbers from each bundle's <code>summary.json</code>.</p>
<table><tr><th>seizure</th><th>role</th><th>count</th>{head}<th>weighted total</th><th>tier</th></tr>{''.join(srows)}</table>
<h2>Per suspect (art. 11)</h2>
<p><b>distinct records</b>: {e(ART11_ITEM3)}; the same record in several seizures of one suspect counts once.
<b>obtained and sold</b>: {e(ART11_ITEM1)} — these records are in the distinct records once.
<b>extra buyer sales</b>: {e(ART11_ITEM2)} — one more per further buyer.
<b>art. 11 count</b> = distinct records + extra buyer sales; the categories, weighted total and tier are of this count
(thresholds of art. 5{', halved: insider, art. 5(1) item 八' if summary['insider'] else ''}).</p>
<table><tr><th>suspect</th><th>seizures</th><th>buyers</th><th>bound</th><th>distinct records</th><th>obtained and sold</th><th>extra buyer sales</th><th>art. 11 count</th>{head}<th>bare phones (own line)</th><th>weighted total</th><th>tier</th></tr>{''.join(prows)}</table>
<h2>The case</h2>
<p>Distinct records over all seizures (each record once): the scale of the case, not the count of any one suspect.</p>
<table><tr><th>bound</th>{head}<th>bare phones</th><th>weighted total</th><th>tier</th></tr>{crows}</table>
<p>Upper bound: {e(summary['identity']['upper_bound'])}. Lower bound: {e(summary['identity']['lower_bound'])}.</p>
<h2>Cross-seizure overlap</h2>
<p>{e(summary['overlap_rule'])}. Every overlapping record is in <code>cross_seizure_overlap.csv</code> with its locator on both sides.</p>
<table><tr><th>records of</th><th>also in</th><th>exact</th><th>probable only</th><th>overlap rows</th></tr>{orows}</table>
</body></html>
"""


def code_version() -> str:
    from jobs.export.job import code_version as cv

    return cv()


def make_case_report(case_id: str, *, storage: Storage, config: Config | None = None, spark=None,
                     roles_file: Path | None = None, dest: Path | None = None) -> dict[str, Any]:
    """Build and publish the case report of ``case_id``.

    Args:
        case_id: the case.
        storage: where the bundles are (``casefiles`` store) and where the report goes without ``dest``.
        config: resolved configuration (categories, thresholds, insider); default :func:`load_config`.
        spark: a SparkSession; default :func:`jobs.engine.session.get_spark`.
        roles_file: a roles YAML; default ``configs/cases/<case>.yaml`` when it exists.
        dest: write the report to this local folder (must be empty or absent) instead of the store.

    Returns:
        ``{"location": str, "summary": dict, "manifest_sha256": str}``.

    Raises:
        EvidenceIntegrityError: a bundle does not match its SHA256SUMS (names the file), or a report
            with the same inputs exists with different bytes.
        ConfigError: no seizure with a published bundle, bad roles, or ``dest`` not empty.
    """
    from jobs.common.storage import scratch_root

    config = config or load_config()
    paths.check_id("case_id", case_id)
    if dest is not None and Path(dest).exists() and any(Path(dest).iterdir()):
        raise ConfigError(f"destination {dest} is not empty")
    seizures = case_seizures(storage, case_id)
    if not seizures:
        raise ConfigError(f"no published case file in case {case_id}")
    roles, roles_source = load_roles(case_id, seizures, roles_file)
    root = scratch_root(config)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="case-report-", dir=root))
    try:
        bundles = [fetch_bundle(storage, case_id, s, work / "in" / s) for s in seizures]
        log.info("case report %s: %d verified bundle(s)", case_id, len(bundles))
        inputs = [b.input_entry() for b in bundles]
        identity = {"case_id": case_id, "inputs": inputs, "roles": {s: r.to_dict() for s, r in sorted(roles.items())},
                    "config_digest": config.digest(), "code_version": code_version()}
        digest = hashlib.sha256(canonical_json(identity)).hexdigest()[:16]
        out = work / "out"
        out.mkdir()
        if spark is None:
            from jobs.engine.session import get_spark

            spark = get_spark("casefile-case-report", conf=config.spark_conf)
        summary = build_report(spark, bundles, roles, config, out, work / "scratch")
        summary["case_id"] = case_id
        summary["report_id"] = digest
        (out / "case_summary.json").write_bytes(canonical_json(summary))
        manifest = {"case_id": case_id, "report_id": digest, "inputs": inputs, "roles": identity["roles"], "roles_source": roles_source,
                    "code_version": identity["code_version"], "config_digest": config.digest(), "hash_algorithms": list(HASH_ALGORITHMS),
                    "files": {p.name: hash_file(p) for p in sorted(out.iterdir()) if p.is_file()}}
        manifest_bytes = canonical_json(manifest)
        (out / "manifest.json").write_bytes(manifest_bytes)
        (out / "case_summary.html").write_text(render_html(summary, hashlib.sha256(manifest_bytes).hexdigest()), encoding="utf-8")
        (out / "SHA256SUMS").write_text("".join(f"{hash_file(p)['sha256']}  {p.name}\n" for p in sorted(out.iterdir()) if p.is_file()), encoding="utf-8")
        if dest is not None:
            target = Path(dest)
            target.mkdir(parents=True, exist_ok=True)
            for p in sorted(out.iterdir()):
                shutil.copyfile(p, target / p.name)
            location = str(target)
        else:
            location = publish(storage, case_id, digest, out)
        return {"location": location, "summary": summary, "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def publish(storage: Storage, case_id: str, digest: str, out: Path) -> str:
    """Upload ``out`` to ``casefiles/<case>/_case/<digest>/`` (attempt folder, then move) and point
    ``_case/latest`` at it. A report with the same digest is kept when its SHA256SUMS is the same.

    Raises:
        EvidenceIntegrityError: a report with the same inputs exists with a different SHA256SUMS.
    """
    base = f"{case_id}/{CASE_DIR}"
    key = f"{base}/{digest}"
    if storage.exists("casefiles", key):
        if storage.read_bytes("casefiles", f"{key}/SHA256SUMS") != (out / "SHA256SUMS").read_bytes():
            raise EvidenceIntegrityError(f"case report {base}/{digest} exists with different content; remove it or change the inputs")
    else:
        attempt = f"{base}/.{digest}.attempt"
        storage.delete_prefix("casefiles", attempt)
        for p in sorted(out.iterdir()):
            storage.put_file("casefiles", f"{attempt}/{p.name}", p)
        storage.move_prefix("casefiles", attempt, key)
    storage.write_bytes("casefiles", f"{base}/latest", (digest + "\n").encode())
    return f"casefiles/{key}"
