"""The raw line of a sampled record: the exact original row, read again from the sealed original.

A record's id is the SHA-256 of its locator (:func:`jobs.intake.records.record_id`: item SHA-256,
sheet, line, SQL tuple index), so the row is found again by parsing the original item with the same
intake parser (:data:`jobs.intake.formats.PARSERS`, the same options) and taking the row whose
locator gives that id: the row the record came from, not a look-alike. The item's SHA-256 is
checked first (:func:`jobs.intake.evidence.verify_item`); the original is only read.

An archive member is not in the evidence register: its archive is, so the archive's SHA-256 is
checked and it is expanded again into a temporary folder by intake's own expansion
(:func:`jobs.intake.job.expand_items`, the same limits and the seizure's passwords), and the member
is read there if its SHA-256 is the record's. A member that cannot be found again so (another
password since, a refused member) has no raw line (``None``); the locator still names it.

For the page the line goes through :func:`display_text`: control and format characters (a
right-to-left override can make a line read differently) become visible ``\\u{XXXX}`` escapes, and
a line longer than :data:`MAX_DISPLAY` characters is cut, saying so; the page template then escapes
it as HTML, so a ``<script>`` in a seized row is only text.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Characters of a raw line shown on the page (the rest is counted).
MAX_DISPLAY = 2000


def raw_lines(storage, case_id: str, seizure_id: str, records: Iterable[Mapping[str, Any]], synonyms: Mapping[str, Iterable[str]],
              intake_settings: Mapping[str, Any] | None = None) -> dict[str, str | None]:
    """``record_id`` → the raw line of each record (None when not available: an item no longer
    registered, an archive member that is not found again with the same SHA-256).

    Args:
        storage: the case's storage (``evidence`` and ``work`` stores).
        records: ``records.csv`` rows with ``record_id``, ``item_sha256``, ``item_path`` and, to hash only
            the rows on their lines, ``sheet`` and ``line_number`` (without them every row of the item is hashed).
        synonyms, intake_settings: the configuration the intake stage parsed with
            (``Config.synonyms``, the intake manifest's ``intake_settings``).

    Raises:
        EvidenceIntegrityError: the original's bytes changed since registration (names the item).
    """
    from jobs.common.config import IntakeSettings
    from jobs.intake.archives import seizure_passwords
    from jobs.intake.evidence import read_register, verify_item
    from jobs.intake.job import expand_items
    from jobs.intake.worker import parse_options

    wanted: dict[str, dict[str, str]] = {}
    lines: dict[str, set[tuple[str, int]] | None] = {}  # item → the (sheet, line) of its wanted records; None: hash every row
    for r in records:
        path = str(r["item_path"])
        wanted.setdefault(path, {})[str(r["record_id"])] = str(r.get("item_sha256") or "")
        line = str(r.get("line_number") or "")
        if not line.isdigit():
            lines[path] = None  # a record without its line number: every row of its item is hashed
        elif lines.get(path, set()) is not None:
            lines.setdefault(path, set()).add((str(r.get("sheet") or ""), int(line)))
    out: dict[str, str | None] = {rid: None for ids in wanted.values() for rid in ids}
    register = read_register(storage, case_id, seizure_id)
    settings = IntakeSettings.from_dict(intake_settings)
    options = parse_options(synonyms, intake_settings)
    for path in sorted(wanted):
        entry = register.get(path)
        if entry is not None and entry.get("sha256") in set(wanted[path].values()):
            local = verify_item(storage, case_id, seizure_id, entry)
            _read_rows(local, path, entry["sha256"], wanted[path], out, options, settings, lines.get(path))
    # Archive members: expand each registered archive that holds a wanted member, once, in scratch space.
    members = [p for p in wanted if p not in register]
    containers = sorted(c for c in register if any(p.startswith(c + "/") for p in members))
    if containers:
        with tempfile.TemporaryDirectory(prefix="casefile-rawline-") as scratch:
            originals = [{**register[c], "local_path": str(verify_item(storage, case_id, seizure_id, register[c]))} for c in containers]
            _, items = expand_items(originals, Path(scratch), settings.archives, None, passwords=seizure_passwords(seizure_id))
            for item in items:
                ids = wanted.get(item["path"])
                if ids and item["sha256"] in set(ids.values()):
                    _read_rows(Path(item["local_path"]), item["path"], item["sha256"], ids, out, options, settings, lines.get(item["path"]))
    return out


def _read_rows(local: Path, path: str, sha256: str, ids: Mapping[str, str], out: dict[str, str | None],
               options: Any, settings: Any, lines: set[tuple[str, int]] | None = None) -> None:
    """Parse ``local`` as intake does and put the raw line of each record of ``ids`` into ``out``.

    ``lines``: the ``(sheet, line_number)`` of the wanted records (from ``records.csv``); only rows on
    those lines are hashed (the record id is still computed and must match: the locator only narrows
    which rows are hashed, it never picks one). None: every row is hashed."""
    from jobs.intake.formats import PARSERS, ItemStats, detect_format
    from jobs.intake.records import record_id
    from jobs.intake.worker import check_item

    with open(local, "rb") as fh:
        head = fh.read(8192)
    fmt = detect_format(local, head, path)
    if fmt not in PARSERS:
        return
    check_item(local, fmt, head, settings)  # the same size and bomb limits as intake
    left = set(ids)
    for row in PARSERS[fmt](local, ItemStats(), options):
        if lines is not None and (row.sheet or "", row.line_number) not in lines:
            continue
        rid = record_id(sha256, row.sheet, row.line_number, row.sub_index)
        if rid in left:
            out[rid] = row.raw_line
            left.discard(rid)
            if not left:
                return


def display_text(value: str | None, limit: int = MAX_DISPLAY) -> str:
    """``value`` safe to show as text: every control (Cc) and format (Cf: bidi overrides, zero-width)
    character as ``\\u{XXXX}``, cut at ``limit`` characters with ``… (+N)``; tab stays a tab. The
    result still needs HTML escaping (the page's template does it)."""
    if value is None:
        return ""
    shown = value[:limit]
    text = "".join(ch if ch == "\t" or unicodedata.category(ch) not in ("Cc", "Cf") else f"\\u{{{ord(ch):04X}}}" for ch in shown)
    return text + (f" … (+{len(value) - limit})" if len(value) > limit else "")
