"""Synthetic seizure generator: eleven evidence items of made-up personal information + ground truth.

``generate_seizure(out_dir, records=N, seed=S)`` writes::

    OUT/evidence/住宿登记_2019.csv   hotel check-in dump: UTF-8 with BOM, comma CSV, CRLF, 33 columns
    OUT/evidence/四要素_40万.txt     bank four-element list: GB18030, ``----`` separated, CRLF
    OUT/evidence/快递面单.xlsx       courier waybills: several sheets (<= 100,000 data rows each), text cells
    OUT/evidence/交换数据.jsonl      a traded mix: phone lists + copies of the other items under other keys
    OUT/evidence/会员数据.zip        a zip holding ``会员数据/注册用户.csv`` (member name stored as GBK bytes
                                     without the UTF-8 flag): GB18030 CSV, a title line above the header
    OUT/evidence/学生家长名单.xls    legacy Excel 97-2003 (xlwt), several sheets (<= 65,535 data rows each),
                                     mobile numbers as number cells (11 digits: exact in a double);
                                     with ``access=True`` 学生家长名单.mdb instead (Jet 4, one table a sheet)
    OUT/evidence/商城会员.sql        MySQL dump: CREATE TABLE + multi-row INSERTs, backslash escapes, NULLs
    OUT/evidence/三要素.txt          no header: name, ID number, mobile, tab separated, mixed CRLF/LF
    OUT/evidence/會員資料.csv        strict Big5, traditional headers 姓名/證件號碼/聯絡電話/電子信箱 (issue 12)
    OUT/evidence/客户登记表.csv      UTF-8 BOM, headers 姓名/身份证号2/手机号码（主）/紧急联系人电话/ＥＭＡＩＬ/住　址
    OUT/evidence/会员接口.jsonl      nested {"member": {"xm", "zjhm"}, "contact": {"sjh", "dz"}, "ts"}
    OUT/ground_truth.json            every count the pipeline must reproduce, kept while writing
    OUT/linkage_truth.csv            which unique records are probable duplicates of which person

The zip member is an evidence item of its own for the pipeline; its ground-truth ``path`` is
``会员数据.zip/会员数据/注册用户.csv`` (intake's member path). Rows quarantined by design in the new
items: the zip CSV's title line (``malformed_junk_before_header``), SQL tuples with a value missing
(``malformed_sql_value_count``), TXT lines with a field missing (``malformed_missing_field``).

Every value is synthetic: names, addresses, post codes, companies and e-mail user names come from
small Faker ``zh_CN`` pools drawn once per seed; identifiers are built by our own rules (GB 11643-1999
resident ID numbers over real GB/T 2260 county codes, mobile numbers in MIIT-allocated segments,
UnionPay-like ``62`` card numbers with a Luhn digit) and combined with ``random.Random(seed)``.
E-mail domains are the reserved ``example.*`` names (RFC 2606), so no address can be a real mailbox.

What a record is and when two rows are the same record is the contract stated in the module brief and
restated in :mod:`jobs.synth.contract`: six canonical fields (``jobs.common.fields.CANONICAL_FIELDS``), each
normalized; two rows are exact duplicates when all six normalized values are equal (missing equals
only missing). Every distinct record ("base record") gets a fresh identifier from a bijection (ID
number and/or mobile number), and the generator verifies at the end that no two base records share a
normalized key. Duplicates are rows re-emitting a base record, either exactly or in a format variant
that normalizes back to it (checked row by row with ``spec_key``).

Modules: :mod:`.layout` (names, headers, rates, plans), :mod:`.contract` (the normalization oracle
and the record key digests), :mod:`.identifiers` (ID and mobile bijections, check characters),
:mod:`.pools` (Faker pools), :mod:`.state` (the random source and the bookkeeping), :mod:`.persons`
(variants, probable duplicates, relatives), :mod:`.items` (one module per item family),
:mod:`.xlsx` (the XLSX writer) and :mod:`.seizure` (the driver: write, ground truth).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from jobs.synth.layout import EVIDENCE_DIR, GROUND_TRUTH_FILE, MIN_RECORDS
from jobs.synth.seizure import SeizureGenerator

__all__ = ["generate_seizure"]

log = logging.getLogger(__name__)


def generate_seizure(out_dir: Path, *, records: int, seed: int, rar: bool = False, access: bool = False) -> dict:
    """Write a synthetic seizure under ``out_dir`` and return its ground truth.

    Writes ``out_dir/evidence/`` (the items named in ``jobs.synth.layout.ITEMS``), ``out_dir/ground_truth.json``
    (sorted keys, indent 2, UTF-8) and ``out_dir/linkage_truth.csv``: one line per probable duplicate,
    ``record_key_sha256,person_key_sha256,source_key_sha256,kind`` (:func:`jobs.synth.contract.record_key_sha256` of the
    record's normalized key, of the first record of the same person and of the record it was
    re-written from; ``kind`` one of ``layout.PROBABLE_KINDS`` or ``same_person_other_field_set``). A
    unique record not listed is its own person. Each item is written as ``<name>.part`` and renamed when complete.
    The same ``records`` and ``seed`` give byte-identical files (no wall clock, no hash order).

    Ground truth (counts kept while writing, never re-read with pipeline code):
        ``raw_rows`` data rows incl. malformed ones (not headers, not blank lines/rows);
        ``quarantined_rows`` malformed rows; ``records`` = raw_rows - quarantined_rows (= ``records``
        requested); ``unique_records`` distinct normalized six-field keys; ``duplicate_records`` =
        records - unique_records; ``categories`` unique records per legal category (a bank card that
        passes its shape check -> tier_50, else a valid ID number -> tier_500, else tier_5000;
        法释〔2017〕10号 art. 5);
        ``probable_duplicate_records`` unique records that re-state the person of an earlier record
        (a typo, a field missing, or another field set: the SPC commentary's example of a duplicate,
        DOMAIN.md §1) and ``persons`` = unique_records - probable_duplicate_records;
        ``duplicate_levels`` (issue 12, among counted records: ``identical_rows`` every written
        column equal but the row identifier ``id``, removed for the upper bound;
        ``same_person_exact`` equal six-field key, other columns different; ``probable``; the
        same two exact levels among bare phone numbers; ``kept_out_of_category`` records whose
        card failed its shape check) and ``bounds`` (``upper`` / ``lower``: counted records per
        category with identical rows removed / with same-person and probable duplicates removed
        too), kept from the digest of every row written; ``items`` per item
        raw/quarantined/header rows and blank lines; ``injected`` counts per injection kind
        (``layout.INJECTED_KINDS``).

    Args:
        out_dir: folder to write into (created if absent; existing files of the same names are replaced).
        records: good (non-quarantined) rows to write over the four items, >= 1,000.
        seed: seed of the Faker pools and of every random choice.
        rar: deliver the headerless item ``三要素.txt`` inside ``三要素.rar`` (RAR 5, store, written by
            :mod:`jobs.synth.items.rar`; intake reads it with unar); its ground-truth ``path`` is then
            ``三要素.rar/三要素.txt`` and its rows the same bytes as without.
        access: deliver the XLS item's rows as ``学生家长名单.mdb`` instead of ``学生家长名单.xls``: a
            Jet 4 Access database written by :mod:`jobs.synth.items.access`, one table a sheet
            (``第1页``...; intake reads it with mdbtools); its ground-truth ``path`` is then
            ``学生家长名单.mdb`` and every count the same as without (``header_rows`` = tables = sheets).

    Returns:
        The ground truth, equal to the parsed ``ground_truth.json``.

    Raises:
        ValueError: ``records`` is not an int >= 1,000.
        AssertionError: an internal consistency check failed (two base records normalize alike, a
            variant does not normalize back, a malformed line would parse, counts do not add up).
    """
    if isinstance(records, bool) or not isinstance(records, int) or records < MIN_RECORDS:
        raise ValueError(f"records must be an int >= {MIN_RECORDS} (got {records!r})")
    out_dir = Path(out_dir)
    evidence = out_dir / EVIDENCE_DIR
    evidence.mkdir(parents=True, exist_ok=True)
    truth = SeizureGenerator(records=records, seed=seed, rar=rar, access=access).write(evidence)
    text = json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    part = out_dir / (GROUND_TRUTH_FILE + ".part")
    part.write_text(text, encoding="utf-8", newline="")
    os.replace(part, out_dir / GROUND_TRUTH_FILE)
    log.info("synthetic seizure written: %d raw rows, %d quarantined, %d unique records",
             truth["raw_rows"], truth["quarantined_rows"], truth["unique_records"])
    return json.loads(text)
