"""The generator's RAR item (``generate_seizure(..., rar=True)``): the headerless item delivered in
``三要素.rar``, with exact ground truth.

Checked against what does not come from the RAR code: the same seed without ``rar`` gives the
plain file, whose bytes the archive must hold (read back by libarchive, a reader written by
others); every other file and the whole ground truth but the item's path are unchanged; and intake
(rarfile + unar) counts the member's rows as the ground truth says.
"""

from __future__ import annotations

import hashlib

import libarchive
from factories import run_intake, seizure_with_and_without

from jobs.common.config import load_config
from jobs.synth import generate_seizure

TXT, RAR = "三要素.txt", "三要素.rar"


def test_generated_rar_item_holds_the_plain_item_with_its_ground_truth(tmp_path):
    pair = seizure_with_and_without(tmp_path, "rar", TXT, RAR)
    plain, packed, files_plain, files_rar, ev_rar = pair.plain, pair.packed, pair.files_plain, pair.files_packed, pair.evidence_packed

    with libarchive.file_reader(str(ev_rar / RAR)) as archive:
        members = [(e.pathname, b"".join(e.get_blocks())) for e in archive]
    assert members == [(TXT, files_plain[TXT])]

    item = next(i for i in packed["items"] if i["path"] == f"{RAR}/{TXT}")
    assert packed == {**plain, "items": [item if i["path"] == TXT else i for i in plain["items"]]}

    synonyms = {k: list(v) for k, v in load_config().synonyms.items()}  # as the intake stage passes them
    result = run_intake(tmp_path / "intake", {RAR: files_rar[RAR]}, synonyms=synonyms)
    member = result.items[f"{RAR}/{TXT}"]
    assert member["sha256"] == hashlib.sha256(files_plain[TXT]).hexdigest()
    assert (member["rows_read"], member["rows_quarantined"], member["header_rows"], member["blank_lines"]) == (
        item["raw_rows"], item["quarantined_rows"], item["header_rows"], item["blank_lines"])
    assert member["records"] == item["raw_rows"] - item["quarantined_rows"]
    # a rerun writes the same bytes
    generate_seizure(tmp_path / "again", records=1000, seed=5, rar=True)
    assert (tmp_path / "again" / "evidence" / RAR).read_bytes() == files_rar[RAR]
