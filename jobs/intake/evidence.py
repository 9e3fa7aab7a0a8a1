"""Registration of evidence items: copy originals into the write-once evidence store, hash them,
and re-verify their hashes before every read (法发〔2016〕22号 art. 5 and 14)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from jobs.common import paths
from jobs.common.custody import hash_file, sha256_file
from jobs.common.errors import EvidenceIntegrityError
from jobs.common.storage import Storage

log = logging.getLogger("casefile")

REGISTER = "evidence_register.json"


def _register_key(case_id: str, seizure_id: str) -> str:
    return f"{paths.evidence_prefix(case_id, seizure_id)}/{REGISTER}"


def register_evidence(storage: Storage, case_id: str, seizure_id: str, source: str | None) -> list[dict[str, Any]]:
    """Copy every file under ``source`` into ``evidence/<case>/<seizure>/`` (write-once), hash it,
    and return the register of all items of the seizure, sorted by path.

    The register (``work/<case>/<seizure>/evidence_register.json``) keeps the first hashes of each
    item; an item already registered must still have them.

    Returns:
        ``[{"path", "bytes", "sha256", "md5", "sm3"?}]``.

    Raises:
        EvidenceIntegrityError: an item in the store differs from its register entry or from the
            file of the same path in ``source``.
    """
    prefix = paths.evidence_prefix(case_id, seizure_id)
    reg_key = _register_key(case_id, seizure_id)
    register: dict[str, dict[str, Any]] = {}
    if storage.exists("work", reg_key):
        register = {e["path"]: e for e in json.loads(storage.read_bytes("work", reg_key))}
    if source:
        root = Path(source)
        if not root.is_dir():
            raise EvidenceIntegrityError(f"evidence location is not a folder: {source}")
        for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            rel = file.relative_to(root).as_posix()
            hashes = hash_file(file)
            known = register.get(rel)
            if known and known["sha256"] != hashes["sha256"]:
                raise EvidenceIntegrityError(f"evidence item {rel!r} differs from the item registered under the same path (sha256 {known['sha256']} vs {hashes['sha256']})")
            key = f"{prefix}/{rel}"
            if storage.exists("evidence", key):
                stored = sha256_file(Path(storage.spark_path("evidence", key)))
                if stored != hashes["sha256"]:
                    raise EvidenceIntegrityError(f"evidence item {rel!r} in the store has sha256 {stored}, the file offered has {hashes['sha256']}")
            else:
                storage.put_file("evidence", key, file, write_once=True)
            register.setdefault(rel, {"path": rel, **hashes})
    keys = [k for k in storage.list("evidence", prefix)]
    for key in keys:
        rel = key[len(prefix) + 1:]
        if rel not in register:
            register[rel] = {"path": rel, **hash_file(Path(storage.spark_path("evidence", key)))}
    items = [register[k] for k in sorted(register)]
    storage.write_bytes("work", reg_key, (json.dumps(items, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8"))
    log.info("evidence register of %s/%s: %d items", case_id, seizure_id, len(items))
    return items


def verify_item(storage: Storage, case_id: str, seizure_id: str, entry: dict[str, Any]) -> Path:
    """Re-verify one item's SHA-256 in the store before it is read; return its local path.

    Raises:
        EvidenceIntegrityError: naming the item, when the stored bytes changed or the item is gone.
    """
    key = f"{paths.evidence_prefix(case_id, seizure_id)}/{entry['path']}"
    if not storage.exists("evidence", key):
        raise EvidenceIntegrityError(f"evidence item {entry['path']!r} is registered but missing from the evidence store")
    local = Path(storage.spark_path("evidence", key))
    actual = sha256_file(local)
    if actual != entry["sha256"]:
        raise EvidenceIntegrityError(f"evidence item {entry['path']!r} changed after registration: sha256 {actual}, registered {entry['sha256']}")
    return local
