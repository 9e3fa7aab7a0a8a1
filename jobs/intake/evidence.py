"""Registration of evidence items: copy originals into the write-once evidence store, hash them,
and re-verify their hashes before every read (法发〔2016〕22号 art. 5 and 14).

The register (``work/<case>/<seizure>/evidence_register.json``) is sealed (issue 13, defect 11):
its SHA-256 is kept in ``evidence_register.seal.json`` beside it and in the stage manifest
(``_COMMITTED.json``, ``evidence_register_sha256``) of the intake run that wrote it, and every
read checks both (:func:`read_register`). Editing an original and its register entry together
therefore fails the next intake, naming the register. A consistent rewrite of the register, its
seal and that run's manifest stays possible inside local storage; the bundle's ``manifest.json``
(each item's hashes) and its SHA-256 recorded outside (``casefile run`` prints it) catch that.

The list of what the evidence folder scan refused (``evidence_folder_refusals.json``: links, FIFOs)
is sealed the same way: its SHA-256 is the seal's ``folder_refusals_sha256`` (checked by
:func:`folder_refusals` on every read), and the export copies it into the bundle
(:func:`bundle_custody_files`), where ``manifest.json`` and ``SHA256SUMS`` cover it, so that
``casefile verify`` detects a change to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from jobs.common import paths
from jobs.common.custody import canonical_json, hash_file, is_committed, read_stage_manifest, sha256_file
from jobs.common.errors import EvidenceIntegrityError
from jobs.common.storage import Storage
from jobs.intake.refusals import SPECIAL_FILE, SYMLINK

log = logging.getLogger("casefile")

REGISTER = "evidence_register.json"
#: The register's seal, beside it: ``{"sha256", "previous_sha256", "run_id"}`` (:func:`read_register`).
REGISTER_SEAL = "evidence_register.seal.json"
#: The key of the register's SHA-256 in the intake stage manifest of the run that wrote it.
MANIFEST_KEY = "evidence_register_sha256"
#: Items of the evidence folder that were not registered (links, FIFOs), beside the register.
FOLDER_REFUSALS = "evidence_folder_refusals.json"
#: The key of its SHA-256 in the register's seal.
FOLDER_REFUSALS_SEAL_KEY = "folder_refusals_sha256"

#: Codecs tried, in order, for a file name that is not UTF-8: Chinese Windows "ANSI" (GBK and
#: its superset GB18030) then Big5-HKSCS, as for zip member names (jobs.intake.archives).
NAME_CODECS = ("gb18030", "big5hkscs")


def name_forms(raw: bytes) -> tuple[str, str, str]:
    """A file name's bytes (as the file system gave them) → ``(readable, escaped, encoding)``.

    ``readable`` is the name decoded (UTF-8, else :data:`NAME_CODECS`, else UTF-8 with ``\\xNN``
    escapes); ``escaped`` is the original bytes with every byte outside printable ASCII, and the
    backslash itself, written ``\\xNN`` (so the exact bytes can be rebuilt: ``\\x`` + two hex
    digits per byte); ``encoding`` is the codec that gave ``readable`` (``escaped`` when none did).
    """
    escaped = "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}" for b in raw)
    for codec in ("utf-8", *NAME_CODECS):
        try:
            return raw.decode(codec, errors="strict"), escaped, codec
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="backslashreplace"), escaped, "escaped"


def scan_folder(root: Path) -> tuple[list[tuple[Path, str, dict[str, str]]], list[dict[str, Any]]]:
    """Walk an evidence folder without following links; never open anything but regular files.

    Returns:
        ``(files, refusals)``: ``files`` are ``(file, item path, name fields)`` sorted by item
        path, where the item path is the readable form (:func:`name_forms`) and ``name fields``
        is ``{}`` for a UTF-8 path, else ``{"path_bytes_escaped", "path_encoding"}``; ``refusals``
        are ``{"path", "status": "refused", "refusal_reason": "symlink"|"special_file"}`` (links
        to files and to folders, FIFOs, sockets, devices).
    """
    files: list[tuple[Path, str, dict[str, str]]] = []
    refusals: list[dict[str, Any]] = []
    taken: set[str] = set()
    root_b = os.fsencode(root)
    for dirpath, dirnames, filenames in os.walk(root_b, followlinks=False):
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            rel_b = os.path.relpath(full, root_b).replace(os.sep.encode(), b"/")
            readable, escaped, codec = name_forms(rel_b)
            extra = {} if codec == "utf-8" else {"path_bytes_escaped": escaped, "path_encoding": codec}
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                refusals.append({"path": readable, **extra, "status": "refused", "refusal_reason": SYMLINK})
            elif stat.S_ISDIR(st.st_mode):
                continue
            elif not stat.S_ISREG(st.st_mode):
                refusals.append({"path": readable, **extra, "status": "refused", "refusal_reason": SPECIAL_FILE})
            else:
                if readable in taken:  # two byte names with one readable form: keep them apart
                    readable, extra = escaped, {"path_bytes_escaped": escaped, "path_encoding": "escaped"}
                taken.add(readable)
                files.append((Path(os.fsdecode(full)), readable, extra))
    files.sort(key=lambda f: f[1])
    refusals.sort(key=lambda r: r["path"])
    return files, refusals


def _register_key(case_id: str, seizure_id: str) -> str:
    return f"{paths.evidence_prefix(case_id, seizure_id)}/{REGISTER}"


def _seal_key(case_id: str, seizure_id: str) -> str:
    return f"{paths.evidence_prefix(case_id, seizure_id)}/{REGISTER_SEAL}"


def register_seal(storage: Storage, case_id: str, seizure_id: str) -> dict[str, Any] | None:
    """The register's seal (``{"sha256", "previous_sha256", "run_id"}``, and ``folder_refusals_sha256``
    once an evidence folder was scanned), ``None`` when there is none."""
    key = _seal_key(case_id, seizure_id)
    return json.loads(storage.read_bytes("work", key)) if storage.exists("work", key) else None


def read_register(storage: Storage, case_id: str, seizure_id: str) -> dict[str, dict[str, Any]]:
    """Read the sealed evidence register of a seizure, checking its seal first.

    The register's SHA-256 must be the seal's ``sha256`` (or its ``previous_sha256``: a register
    write killed between the seal and the register, see :func:`_write_register`), and when the run
    named by the seal committed intake, its stage manifest must record the same SHA-256
    (:data:`MANIFEST_KEY`).

    Returns:
        ``{path: entry}`` (``{}`` when the seizure has no register yet).

    Raises:
        EvidenceIntegrityError: naming the register, when it has no seal, the seal or the sealing
            run's manifest disagrees with its SHA-256.
    """
    reg_key = _register_key(case_id, seizure_id)
    if not storage.exists("work", reg_key):
        return {}
    data = storage.read_bytes("work", reg_key)
    actual = hashlib.sha256(data).hexdigest()
    seal = register_seal(storage, case_id, seizure_id)
    where = f"evidence register work/{reg_key}"
    if seal is None:
        raise EvidenceIntegrityError(f"{where} has no seal ({REGISTER_SEAL}): it cannot be trusted")
    if actual not in (seal.get("sha256"), seal.get("previous_sha256")):
        raise EvidenceIntegrityError(f"{where} does not match its seal: sha256 {actual}, sealed {seal.get('sha256')}")
    ctx = paths.RunContext(case_id, seizure_id, str(seal.get("run_id", "")))
    if is_committed(storage, ctx, "intake"):
        recorded = read_stage_manifest(storage, ctx, "intake").get(MANIFEST_KEY)
        if recorded != seal.get("sha256") or actual != recorded:
            raise EvidenceIntegrityError(f"{where} does not match the intake manifest of run {ctx.run_id!r}: "
                                         f"sha256 {actual}, recorded {recorded}")
    return {e["path"]: e for e in json.loads(data)}


def _write_register(storage: Storage, case_id: str, seizure_id: str, items: list[dict[str, Any]], run_id: str,
                    refusals_sha256: str | None = None) -> str:
    """Write the register and its seal; return the register's SHA-256.

    The seal is written first, keeping the previous SHA-256: a process killed between the two
    writes leaves the previous register under a seal that still names it (so a crash is not taken
    for tampering). Both writes are atomic (``Storage.write_bytes``). ``refusals_sha256``: the
    SHA-256 of the folder refusals just written (``None``: no folder scanned, the seal keeps the
    one it has).
    """
    data = canonical_json(items)
    digest = hashlib.sha256(data).hexdigest()
    seal = register_seal(storage, case_id, seizure_id) or {}
    previous = seal.get("sha256") if seal.get("sha256") != digest else seal.get("previous_sha256")
    new_seal = {"sha256": digest, "previous_sha256": previous, "run_id": run_id}
    refusals_sha256 = refusals_sha256 or seal.get(FOLDER_REFUSALS_SEAL_KEY)
    if refusals_sha256:
        new_seal[FOLDER_REFUSALS_SEAL_KEY] = refusals_sha256
    storage.write_bytes("work", _seal_key(case_id, seizure_id), canonical_json(new_seal))
    storage.write_bytes("work", _register_key(case_id, seizure_id), data)
    return digest


def register_evidence(storage: Storage, case_id: str, seizure_id: str, source: str | None, *,
                      run_id: str = "unsealed") -> list[dict[str, Any]]:
    """Copy every regular file under ``source`` into ``evidence/<case>/<seizure>/`` (write-once),
    hash it, and return the register of all items of the seizure, sorted by path.

    The register (``work/<case>/<seizure>/evidence_register.json``) keeps the first hashes of each
    item; an item already registered must still have them. It is read through :func:`read_register`
    (seal checked) and written with its seal naming ``run_id``, whose intake stage manifest records
    the register's SHA-256 (:data:`MANIFEST_KEY`; :func:`register_seal` gives it). Links and
    special files are never followed or opened: they are listed by :func:`folder_refusals`
    (:func:`scan_folder`). A name that is not UTF-8 is registered under its readable form, with its
    bytes escaped (:func:`name_forms`).

    Args:
        run_id: the Airflow run id of the intake stage that registers (named by the seal).

    Returns:
        ``[{"path", "bytes", "sha256", "md5", "sm3"?, "path_bytes_escaped"?, "path_encoding"?}]``.

    Raises:
        EvidenceIntegrityError: the register does not match its seal (:func:`read_register`), an
            item in the store differs from its register entry or from the file of the same path in
            ``source``.
    """
    prefix = paths.evidence_prefix(case_id, seizure_id)
    register = read_register(storage, case_id, seizure_id)
    refusals_sha256 = None
    if source:
        root = Path(source)
        if not root.is_dir():
            raise EvidenceIntegrityError(f"evidence location is not a folder: {source}")
        files, refused = scan_folder(root)
        refusals_bytes = (json.dumps(refused, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")
        refusals_sha256 = hashlib.sha256(refusals_bytes).hexdigest()
        storage.write_bytes("work", f"{prefix}/{FOLDER_REFUSALS}", refusals_bytes)
        for ref in refused:
            log.warning("evidence folder entry %s refused: %s", ref["path"], ref["refusal_reason"])
        for file, rel, name_fields in files:
            paths.check_item_path(rel)
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
            register.setdefault(rel, {"path": rel, **name_fields, **hashes})
    keys = [k for k in storage.list("evidence", prefix)]
    for key in keys:
        rel = key[len(prefix) + 1:]
        if rel not in register:
            register[rel] = {"path": rel, **hash_file(Path(storage.spark_path("evidence", key)))}
    items = [register[k] for k in sorted(register)]
    digest = _write_register(storage, case_id, seizure_id, items, run_id, refusals_sha256)
    log.info("evidence register of %s/%s: %d items, sha256 %s", case_id, seizure_id, len(items), digest)
    return items


def folder_refusals_bytes(storage: Storage, case_id: str, seizure_id: str) -> bytes | None:
    """The bytes of ``evidence_folder_refusals.json``, checked against the register's seal
    (``None`` when the seizure came without a folder).

    Raises:
        EvidenceIntegrityError: naming the file, when its SHA-256 is not the seal's
            ``folder_refusals_sha256`` (or the seal has none: a file nobody sealed).
    """
    key = f"{paths.evidence_prefix(case_id, seizure_id)}/{FOLDER_REFUSALS}"
    if not storage.exists("work", key):
        return None
    data = storage.read_bytes("work", key)
    actual = hashlib.sha256(data).hexdigest()
    sealed = (register_seal(storage, case_id, seizure_id) or {}).get(FOLDER_REFUSALS_SEAL_KEY)
    if actual != sealed:
        raise EvidenceIntegrityError(f"evidence folder refusals work/{key} do not match the seal ({REGISTER_SEAL}): "
                                     f"sha256 {actual}, sealed {sealed}")
    return data


def folder_refusals(storage: Storage, case_id: str, seizure_id: str) -> list[dict[str, Any]]:
    """The links and special files refused when the evidence folder was registered (``[]`` when
    the seizure came without a folder), read through :func:`folder_refusals_bytes` (seal checked).

    Raises:
        EvidenceIntegrityError: the file does not match its seal.
    """
    data = folder_refusals_bytes(storage, case_id, seizure_id)
    return json.loads(data) if data is not None else []


def sealed_register_bytes(storage: Storage, case_id: str, seizure_id: str) -> tuple[bytes, str]:
    """The bytes of the seizure's register as sealed now, and their SHA-256.

    Raises:
        EvidenceIntegrityError: the register does not match its seal (:func:`read_register`).
    """
    read_register(storage, case_id, seizure_id)  # the seal and the sealing run's manifest checked
    data = storage.read_bytes("work", _register_key(case_id, seizure_id))
    digest = hashlib.sha256(data).hexdigest()
    if digest != (register_seal(storage, case_id, seizure_id) or {}).get("sha256"):
        raise EvidenceIntegrityError(f"evidence register work/{_register_key(case_id, seizure_id)} changed while it was read")
    return data, digest


def bundle_custody_files(storage: Storage, case_id: str, seizure_id: str, folder: Path, *,
                         register: bytes | None = None, register_sha256: str | None = None) -> list[str]:
    """Copy the seizure's custody files that belong in a case file into the bundle ``folder``,
    before its ``manifest.json`` and ``SHA256SUMS`` are written (which then cover them).

    - ``evidence_folder_refusals.json`` (seal checked; ``[]`` when the seizure came without a
      folder, so that every bundle has the same layout);
    - ``evidence_register.json`` when ``register`` is given: the register as the run's intake sealed
      it (its bytes must have ``register_sha256``, the SHA-256 that intake's manifest records). With
      it a reader checks, from the bundle alone, that every original registered before any parsing
      is in ``manifest.json``'s ``evidence_items`` with the same hashes (``casefile verify`` does:
      :func:`jobs.common.custody.check_bundle`); docs/decisions/register-in-bundle.md says why.

    Returns:
        The names written, relative to ``folder``.

    Raises:
        EvidenceIntegrityError: a custody file does not match its seal.
    """
    data = folder_refusals_bytes(storage, case_id, seizure_id)
    (folder / FOLDER_REFUSALS).write_bytes(data if data is not None else b"[]\n")
    names = [FOLDER_REFUSALS]
    if register is not None:
        actual = hashlib.sha256(register).hexdigest()
        if actual != register_sha256:
            raise EvidenceIntegrityError(f"evidence register of {case_id}/{seizure_id} for the bundle has sha256 {actual}, "
                                         f"its intake manifest records {register_sha256}")
        (folder / REGISTER).write_bytes(register)
        names.append(REGISTER)
    return names


def run_register_bytes(storage: Storage, ctx: paths.RunContext) -> tuple[bytes, str] | None:
    """The register as the intake of run ``ctx`` sealed it, and the SHA-256 its manifest records
    (``None``: an intake committed before registers were sealed records none).

    Read from that intake's committed output (its copy, written with the seal), else, for an intake
    committed before it kept a copy, from the seizure's register when it is still that one.

    Raises:
        EvidenceIntegrityError: the copy, or the register, does not have the recorded SHA-256.
    """
    recorded = read_stage_manifest(storage, ctx, "intake").get(MANIFEST_KEY)
    if recorded is None:
        return None
    key = f"{paths.stage_data(ctx, 'intake')}/{REGISTER}"
    if storage.exists("work", key):
        data = storage.read_bytes("work", key)
        digest = hashlib.sha256(data).hexdigest()
    else:
        data, digest = sealed_register_bytes(storage, ctx.case_id, ctx.seizure_id)
    if digest != recorded:
        raise EvidenceIntegrityError(f"evidence register of run {ctx.run_id} has sha256 {digest}, its intake manifest records {recorded}")
    return data, recorded


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
