"""The bundle: how a case file's files are written, published and fetched.

One module for what the export stage, the case report (:mod:`jobs.case_report.job`) and
``casefile pull`` share:

- :func:`write_table` (and :func:`write_csv`, its row count only): a DataFrame as one RFC 4180 CSV,
  UTF-8 with BOM (for Excel on zh-CN Windows), whose bytes depend only on the data, every text cell
  neutralized against formula injection (:mod:`jobs.export.cells`), its rows counted while written
  (:func:`count_csv_rows`); :func:`record_columns` and :func:`csv_ready` shape ``records.csv``;
  :func:`evidence_items_csv` writes ``evidence_items.csv``.
- :func:`write_manifest`: ``manifest.json`` with the hashes of every file written before it.
- :func:`upload` and :func:`publish`: attempt folder → move → ``latest`` pointer.
- :func:`fetch_bundle`: copy a seizure's latest bundle and verify it against its ``SHA256SUMS``.

``SHA256SUMS`` itself is written and verified by :mod:`jobs.common.custody`
(:func:`~jobs.common.custody.write_sha256sums`, :func:`~jobs.common.custody.verify_sha256sums`).
Light at import: pyspark is imported inside the functions that take a DataFrame.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.common import paths
from jobs.common.custody import HASH_ALGORITHMS, canonical_json, hash_file, verify_sha256sums
from jobs.common.errors import EvidenceIntegrityError
from jobs.common.fields import FIELDS, LOCATOR_COLUMNS
from jobs.common.storage import Storage

#: Byte order mark written at the start of every CSV of a bundle (Excel on zh-CN Windows reads
#: UTF-8 only with it).
BOM = "\ufeff".encode("utf-8")


# --------------------------------------------------------------------------- CSV


def record_columns(available: Sequence[str]) -> list[str]:
    """Columns of ``records.csv`` in a fixed order: id, per field (raw, value, status, reason and
    derived values), category, cluster size, locator."""
    cols = ["record_id"]
    for spec in FIELDS:
        cols += spec.record_columns()
    cols += ["category", "cluster_size", "count_status", "exclusion_reason", "reviewed_by", "probable_survivor_record_id", "lower_category", *LOCATOR_COLUMNS, "extra"]
    return [c for c in cols if c in available]


def csv_ready(df):
    """Array columns (e.g. ``address_candidates``) as ``|``-joined text: CSV holds scalars only."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType

    for f in df.schema.fields:
        if isinstance(f.dataType, ArrayType):
            df = df.withColumn(f.name, F.array_join(F.col(f.name), "|"))
    return df


@dataclass(frozen=True)
class CsvWritten:
    """What :func:`write_table` wrote: the data rows and, per column, how many cells it neutralized
    (:mod:`jobs.export.cells`; columns with none left out)."""

    rows: int
    neutralized: dict[str, int]


def count_csv_rows(chunks) -> int:
    """Records in RFC 4180 CSV bytes (``"`` quotes, ``""`` escapes, every record ending in ``\\n``),
    counted as line feeds outside quotes while the bytes stream past: no field-size limit, memory
    bounded by one chunk (issue 13 defect 3: Python's ``csv`` reader stops at 131,072 characters).

    ``"`` and ``\\n`` never occur inside a UTF-8 multi-byte sequence, so counting bytes is exact;
    a doubled ``""`` flips the quote state twice, leaving it as it was.

    Args:
        chunks: an iterable of ``bytes``, in order.
    """
    rows, quoted = 0, False
    for chunk in chunks:
        parts = chunk.split(b'"')
        for i, part in enumerate(parts):
            if i:
                quoted = not quoted
            if not quoted:
                rows += part.count(b"\n")
    return rows


def write_table(df, columns: Sequence[str], order: Sequence, dest: Path, location: str | Path) -> CsvWritten:
    """Write ``df[columns]`` sorted by ``order`` to ``dest`` as one RFC 4180 CSV, UTF-8 with BOM and
    header, with every string cell neutralized against formula injection (:mod:`jobs.export.cells`).

    Spark writes the sorted partitions to ``location`` (a local folder, overwritten); they are
    concatenated in partition order, so the bytes depend only on the data. NULL is written as an
    empty field, the empty string as ``""``; lines end with ``\\n``. Numeric columns are written as
    Spark formats them (a number is never a formula).

    Args:
        df: the rows; ``order`` may name columns that are not in ``columns`` (sorting happens first).
        columns: the CSV's columns, in order (the header).
        order: sort keys (column names or Columns); they must order the rows totally for the bytes
            to be reproducible.
        dest: the CSV file (its folder is created).
        location: scratch folder for Spark's part files.

    Returns:
        The data rows, counted in the bytes as they are copied (:func:`count_csv_rows`, a quoted
        field may hold a line break), and the neutralized cells per column.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType

    from jobs.export.cells import danger_condition, neutralize_column

    location = Path(location)
    texts = [f.name for f in df.schema.fields if f.name in columns and isinstance(f.dataType, StringType)]
    neutralized: dict[str, int] = {}
    if texts:
        row = df.agg(*[F.sum(F.when(danger_condition(F.col(c)), 1).otherwise(0)).alias(c) for c in texts]).first()
        neutralized = {c: int(row[c] or 0) for c in texts if row[c]}
    shaped = df.orderBy(*order).select(*[neutralize_column(F.col(c)).alias(c) if c in texts else F.col(c) for c in columns])
    (shaped.write.mode("overwrite")
       .option("header", False).option("quote", '"').option("escape", '"').option("escapeQuotes", True)
       .option("ignoreLeadingWhiteSpace", False).option("ignoreTrailingWhiteSpace", False)
       .option("nullValue", "").option("emptyValue", '""').option("lineSep", "\n").option("encoding", "UTF-8")
       .csv(str(location)))
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(columns)
    dest.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with open(dest, "wb") as out:
        out.write(BOM + head.getvalue().encode("utf-8"))
        for part in sorted(location.glob("part-*.csv")):
            with open(part, "rb") as fh:
                rows += count_csv_rows(_copied(fh, out))
    return CsvWritten(rows, neutralized)


def _copied(src, dst, size: int = 1 << 20):
    """Copy ``src`` to ``dst`` in chunks of ``size`` bytes, yielding each chunk once written."""
    while chunk := src.read(size):
        dst.write(chunk)
        yield chunk


def write_csv(df, columns: Sequence[str], order: Sequence, dest: Path, location: str | Path) -> int:
    """:func:`write_table`, returning only the number of data rows."""
    return write_table(df, columns, order, dest, location).rows


def evidence_items_csv(items: list[dict], dest: Path) -> dict[str, int]:
    """Write ``evidence_items.csv`` (UTF-8 with BOM): one row per evidence item of intake's
    ``evidence_items.json``, with its hashes and parse statistics; list values ``|``-joined; a column
    no item has is left out (``path`` always present). Every text cell (the seized file names above
    all) is neutralized against formula injection (:func:`jobs.export.cells.neutralize`).

    Returns:
        Neutralized cells per column (columns with none left out).
    """
    from jobs.export.cells import needs_escape, neutralize

    cols = [c for c in EVIDENCE_ITEM_COLUMNS if any(c in i for i in items) or c in ("path",)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    neutralized: dict[str, int] = {}
    for item in items:
        row = []
        for c in cols:
            v = "|".join(item[c]) if isinstance(item.get(c), list) else item.get(c, "")
            if isinstance(v, str) and needs_escape(v):
                neutralized[c] = neutralized.get(c, 0) + 1
                v = neutralize(v)
            row.append(v)
        w.writerow(row)
    dest.write_bytes(BOM + buf.getvalue().encode("utf-8"))
    return neutralized


#: Columns of ``evidence_items.csv``, in order (those no item has are left out).
EVIDENCE_ITEM_COLUMNS: tuple[str, ...] = (
    "path", "bytes", *HASH_ALGORITHMS, "format", "encoding", "encoding_confidence", "separator", "sheets",
    "rows_read", "records", "rows_quarantined", "header_rows", "blank_lines", "physical_lines", "continuation_lines")


# --------------------------------------------------------------------------- manifest


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> bytes:
    """Write ``folder/manifest.json``: ``manifest`` plus ``files``, the hashes
    (:func:`~jobs.common.custody.hash_file`: bytes, SHA-256, MD5, SM3 when available) of every file
    under ``folder`` at this moment, by relative posix path. Canonical JSON (sorted keys).

    Returns:
        The bytes written (their SHA-256 is the manifest digest the HTML page names).
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    data = {**manifest, "files": {p.relative_to(folder).as_posix(): hash_file(p) for p in files}}
    manifest_bytes = canonical_json(data)
    (folder / "manifest.json").write_bytes(manifest_bytes)
    return manifest_bytes


# --------------------------------------------------------------------------- publish


def upload(storage: Storage, folder: Path, attempt: str) -> None:
    """Clear the ``casefiles`` prefix ``attempt`` and upload every file of the local ``folder`` under it."""
    storage.delete_prefix("casefiles", attempt)
    for p in sorted(p for p in folder.rglob("*") if p.is_file()):
        storage.put_file("casefiles", f"{attempt}/{p.relative_to(folder).as_posix()}", p)


def publish(storage: Storage, attempt: str, key: str, latest: str, pointer: str) -> None:
    """Publish a complete bundle: move the ``casefiles`` prefix ``attempt`` to ``key``, then write the
    ``latest`` pointer (``pointer`` and a newline). Readers follow ``latest`` only, so they see the
    previous bundle or this one, never a part of it."""
    storage.move_prefix("casefiles", attempt, key)
    point_latest(storage, latest, pointer)


def point_latest(storage: Storage, latest: str, pointer: str) -> None:
    """Write the ``latest`` pointer ``latest`` (in ``casefiles``): ``pointer`` and a newline."""
    storage.write_bytes("casefiles", latest, (pointer + "\n").encode())


# --------------------------------------------------------------------------- fetch


@dataclass(frozen=True)
class Bundle:
    """One seizure's verified bundle, copied to a local folder."""

    seizure_id: str
    run_key: str
    folder: Path
    summary: dict

    def input_entry(self) -> dict[str, str]:
        """How a report built on this bundle names it: seizure, run and the SHA-256 of its
        ``summary.json``, ``manifest.json`` and ``SHA256SUMS``."""
        return {"seizure_id": self.seizure_id, "run": self.run_key,
                "summary_sha256": hash_file(self.folder / "summary.json")["sha256"],
                "manifest_sha256": hash_file(self.folder / "manifest.json")["sha256"],
                "sha256sums_sha256": hash_file(self.folder / "SHA256SUMS")["sha256"]}


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
    problems = verify_sha256sums(dest)
    if problems:
        raise EvidenceIntegrityError(f"bundle {case_id}/{seizure_id}/{run_key} refused, it does not match its SHA256SUMS: " + "; ".join(problems))
    summary = json.loads((dest / "summary.json").read_text(encoding="utf-8"))
    return Bundle(seizure_id, run_key, dest, summary)
