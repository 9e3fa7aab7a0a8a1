"""Spark schemas of every dataset casefile writes, and the canonical field names.

The canonical personal-information fields are the columns that intake maps source headers onto
(``configs/column_synonyms.yaml``) and that normalize cleans. Every other source column is kept, as
text, in the ``extra`` JSON object of the raw record: nothing is dropped.

Datasets (one Parquet dataset per stage output, see ``jobs.common.paths``):

- ``raw_records`` (intake): locator + ``<field>_raw`` for each canonical field + ``extra``.
- ``quarantine`` (any stage): locator + ``reason_code`` + ``raw_line``.
- ``records`` (normalize): raw record + normalized value, status and reason for each field.
- ``unique_records`` / ``duplicate_links`` (deduplicate).
"""

from __future__ import annotations

from pyspark.sql import types as T

from jobs.common.fields import FIELDS

#: The locator of a raw record: which evidence item, which sheet (``""`` when the format has no
#: sheets), which line or row (1-based, as a person counts them in a text editor or in Excel) and,
#: for text files, the byte offset of the row's first byte in the original file.
LOCATOR_FIELDS = [
    T.StructField("record_id", T.StringType(), False),
    T.StructField("item_sha256", T.StringType(), False),
    T.StructField("item_path", T.StringType(), False),
    T.StructField("sheet", T.StringType(), False),
    T.StructField("line_number", T.LongType(), False),
    T.StructField("byte_offset", T.LongType(), True),
]

RAW_RECORD = T.StructType(
    LOCATOR_FIELDS
    + [T.StructField(f.raw_column, T.StringType(), True) for f in FIELDS]
    + [T.StructField("extra", T.StringType(), False)]
)

#: A quarantined row has no record id: it is located by the rest of the locator.
QUARANTINE = T.StructType(
    LOCATOR_FIELDS[1:]
    + [
        T.StructField("stage", T.StringType(), False),
        T.StructField("reason_code", T.StringType(), False),
        T.StructField("raw_line", T.StringType(), True),
    ]
)

