"""The raw line of a sampled record: the exact original row, read again from the sealed original.

A record's id is the SHA-256 of its locator (:func:`jobs.intake.records.record_id`: item SHA-256,
sheet, line, SQL tuple index), so the row is found again by parsing the original item with the same
intake parser (:data:`jobs.intake.formats.PARSERS`, the same options) and taking the row whose
locator gives that id: the row the record came from, not a look-alike. The item's SHA-256 is
checked first (:func:`jobs.intake.evidence.verify_item`); the original is only read.

An archive member is not in the evidence register (intake extracts it to scratch space): its raw
line is not available here (``None``), the locator still names it.

For the page the line goes through :func:`display_text`: control and format characters (a
right-to-left override can make a line read differently) become visible ``\\u{XXXX}`` escapes, and
a line longer than :data:`MAX_DISPLAY` characters is cut, saying so; the page template then escapes
it as HTML, so a ``<script>`` in a seized row is only text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

#: Characters of a raw line shown on the page (the rest is counted).
MAX_DISPLAY = 2000


def raw_lines(storage, case_id: str, seizure_id: str, records: Iterable[Mapping[str, Any]], synonyms: Mapping[str, Iterable[str]],
              intake_settings: Mapping[str, Any] | None = None) -> dict[str, str | None]:
    """``record_id`` → the raw line of each record (None when not available: an archive member,
    an item no longer registered).

    Args:
        storage: the case's storage (``evidence`` and ``work`` stores).
        records: ``records.csv`` rows with ``record_id``, ``item_sha256``, ``item_path``.
        synonyms, intake_settings: the configuration the intake stage parsed with
            (``Config.synonyms``, the intake manifest's ``intake_settings``).

    Raises:
        EvidenceIntegrityError: the original's bytes changed since registration (names the item).
    """
    from jobs.common.config import IntakeSettings
    from jobs.intake.evidence import read_register, verify_item
    from jobs.intake.formats import PARSERS, ItemStats, detect_format
    from jobs.intake.records import record_id
    from jobs.intake.worker import check_item, parse_options

    wanted: dict[str, dict[str, str]] = {}
    for r in records:
        wanted.setdefault(str(r["item_path"]), {})[str(r["record_id"])] = str(r.get("item_sha256") or "")
    out: dict[str, str | None] = {rid: None for ids in wanted.values() for rid in ids}
    register = read_register(storage, case_id, seizure_id)
    options = parse_options(synonyms, intake_settings)
    for path in sorted(wanted):
        entry = register.get(path)
        ids = wanted[path]
        if entry is None or entry.get("sha256") not in set(ids.values()):
            continue  # an archive member (extracted by intake) or another item: not available here
        local = verify_item(storage, case_id, seizure_id, entry)
        with open(local, "rb") as fh:
            head = fh.read(8192)
        fmt = detect_format(local, head, path)
        if fmt not in PARSERS:
            continue
        check_item(local, fmt, head, IntakeSettings.from_dict(intake_settings))  # the same size and bomb limits as intake
        left = set(ids)
        for row in PARSERS[fmt](local, ItemStats(), options):
            rid = record_id(entry["sha256"], row.sheet, row.line_number, row.sub_index)
            if rid in left:
                out[rid] = row.raw_line
                left.discard(rid)
                if not left:
                    break
    return out


def display_text(value: str | None, limit: int = MAX_DISPLAY) -> str:
    """``value`` safe to show as text: every control (Cc) and format (Cf: bidi overrides, zero-width)
    character as ``\\u{XXXX}``, cut at ``limit`` characters with ``… (+N)``; tab stays a tab. The
    result still needs HTML escaping (the page's template does it)."""
    if value is None:
        return ""
    shown = value[:limit]
    text = "".join(ch if ch == "\t" or unicodedata.category(ch) not in ("Cc", "Cf") else f"\\u{{{ord(ch):04X}}}" for ch in shown)
    return text + (f" … (+{len(value) - limit})" if len(value) > limit else "")
