"""Chain of custody: integrity check values, stage commits, the record ledger and provenance.

- Integrity check values (完整性校验值, 法发〔2016〕22号 art. 5): SHA-256, MD5 and, where the
  platform's OpenSSL provides it, SM3 (GB/T 32905-2016) of every evidence item and exported file;
  a folder's ``SHA256SUMS`` is written by :func:`write_sha256sums`; :func:`check_bundle` checks a
  bundle against both its ``SHA256SUMS`` and its ``manifest.json`` (and refuses paths outside it).
- Stage commit: a stage writes under ``<stage>/_attempt``, validates, then moves it to
  ``<stage>/data`` and writes ``_COMMITTED.json`` last; the marker is the commit point.
- Record ledger: ``in = out + quarantined + duplicates`` per stage, exact (ARCHITECTURE.md).
- Provenance: the code version and library versions a bundle's ``manifest.json`` records.

Light: nothing outside the standard library and ``jobs.common`` is imported here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from jobs.common import paths
from jobs.common.errors import LedgerError, StageNotCommitted
from jobs.common.storage import Storage

CHUNK = 1 << 20


def _algorithms() -> list[str]:
    algos = ["sha256", "md5"]
    try:
        hashlib.new("sm3")
        algos.append("sm3")
    except ValueError:
        pass
    return algos


HASH_ALGORITHMS: tuple[str, ...] = tuple(_algorithms())


def hash_stream(stream: BinaryIO) -> dict[str, Any]:
    """Hash a byte stream with every algorithm in :data:`HASH_ALGORITHMS`.

    Returns:
        ``{"bytes": int, "sha256": hex, "md5": hex, "sm3": hex?}``.
    """
    hashers = {name: hashlib.new(name) for name in HASH_ALGORITHMS}
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        for h in hashers.values():
            h.update(chunk)
    return {"bytes": size, **{name: h.hexdigest() for name, h in hashers.items()}}


def hash_file(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return hash_stream(fh)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def canonical_json(data: Any) -> bytes:
    """Deterministic JSON: sorted keys, UTF-8, two-space indent, trailing newline."""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Ledger:
    """Record conservation of one stage: ``records_in = records_out + quarantined + duplicates``."""

    stage: str
    records_in: int
    records_out: int
    quarantined: int = 0
    duplicates: int = 0

    def check(self) -> "Ledger":
        """Raises:
            LedgerError: naming the stage and the four counts when they do not balance.
        """
        if self.records_in != self.records_out + self.quarantined + self.duplicates:
            raise LedgerError(
                f"ledger of stage {self.stage!r} does not balance: in={self.records_in} "
                f"!= out={self.records_out} + quarantined={self.quarantined} + duplicates={self.duplicates}"
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def begin_stage(storage: Storage, ctx: paths.RunContext, stage: str) -> str:
    """Clear any leftover attempt and uncommitted output of ``stage``; return the attempt prefix."""
    storage.delete_prefix("work", paths.stage_attempt(ctx, stage))
    if not storage.exists("work", paths.stage_marker(ctx, stage)):
        storage.delete_prefix("work", paths.stage_data(ctx, stage))
    return paths.stage_attempt(ctx, stage)


def commit_stage(storage: Storage, ctx: paths.RunContext, stage: str, manifest: Mapping[str, Any]) -> None:
    """Publish the attempt of ``stage`` as its committed output, marker last."""
    storage.delete_prefix("work", paths.stage_data(ctx, stage))
    storage.move_prefix("work", paths.stage_attempt(ctx, stage), paths.stage_data(ctx, stage))
    storage.write_bytes("work", paths.stage_marker(ctx, stage), canonical_json(dict(manifest)))


def is_committed(storage: Storage, ctx: paths.RunContext, stage: str) -> bool:
    return storage.exists("work", paths.stage_marker(ctx, stage))


def read_stage_manifest(storage: Storage, ctx: paths.RunContext, stage: str) -> dict[str, Any]:
    """The ``_COMMITTED.json`` of a stage.

    Raises:
        StageNotCommitted: the stage has no committed output in this run.
    """
    if not is_committed(storage, ctx, stage):
        raise StageNotCommitted(f"stage {stage!r} of run {ctx.run_id!r} ({ctx.case_id}/{ctx.seizure_id}) has no committed output")
    return json.loads(storage.read_bytes("work", paths.stage_marker(ctx, stage)))


# --------------------------------------------------------------------------- verification

#: The manifest of a bundle or case report: ``files`` maps each file written before it to its hashes.
MANIFEST = "manifest.json"
SHA256SUMS = "SHA256SUMS"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_DRIVE = re.compile(r"[A-Za-z]:")


@dataclass(frozen=True)
class BundleCheck:
    """What :func:`check_bundle` found in one folder.

    Attributes:
        folder: the folder checked.
        problems: one line per problem, each naming the file (or the ``SHA256SUMS`` line); empty:
            verified.
        files_checked: regular files whose hashes were compared.
        manifest_sha256: SHA-256 (hex) of ``manifest.json`` as found, ``None`` when it is absent.
        sha256sums_sha256: SHA-256 (hex) of ``SHA256SUMS`` as found, ``None`` when it is absent.
    """

    folder: Path
    problems: tuple[str, ...]
    files_checked: int
    manifest_sha256: str | None
    sha256sums_sha256: str | None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "ok": self.ok, "problems": list(self.problems), "files_checked": self.files_checked,
                "manifest_sha256": self.manifest_sha256, "sha256sums_sha256": self.sha256sums_sha256}


def shown_name(name: str) -> str:
    """``name`` safe to print: backslashes, control and format characters and lone surrogates
    (the undecodable bytes of a file name) escaped, cut at 200 characters. A name read from a
    hostile folder or ``SHA256SUMS`` must not move the cursor or rewrite the terminal line."""
    out = []
    for ch in name[:200]:
        if ch == "\\":
            out.append("\\\\")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(name) > 200 else "")


def _contains(path: Path, needle: bytes) -> bool:
    """Whether the file holds ``needle``, read in chunks (memory bounded by :data:`CHUNK`)."""
    tail = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            if needle in tail + chunk:
                return True
            tail = chunk[-(len(needle) - 1):]
    return False


def unsafe_path_reason(name: str) -> str | None:
    """Why the relative path ``name`` (from ``SHA256SUMS`` or a manifest) could reach outside its
    folder, or ``None`` when it cannot.

    Refused: empty; absolute (``/x``, ``C:x``); a ``\\`` (the Windows separator: ``..\\..\\x``);
    a ``.``, ``..`` or empty component; a control character. Symbolic links are refused by
    :func:`check_bundle` separately (they are a property of the folder, not of the name).
    """
    if not name:
        return "empty path"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute path, outside the bundle"
    if "\\" in name:
        return "backslash in path (a Windows separator), refused"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in path, outside the bundle"
    if any(part in ("", ".") for part in parts):
        return "'.' or empty component in path, refused"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "control character in path"
    return None


def _walk(folder: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """Regular files under ``folder`` (``{posix relative path: path}``) and every entry refused
    (``{path: reason}``): symbolic links (to files or folders, never followed) and anything that is
    neither a regular file nor a folder (FIFO, socket, device: opening a FIFO would block)."""
    regular: dict[str, Path] = {}
    refused: dict[str, str] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        base = Path(root)
        rel_root = base.relative_to(folder).as_posix()
        for name in sorted(dirs + files):
            path = base / name
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                refused[rel] = "symbolic link, refused (it may point outside the bundle)"
            elif stat.S_ISREG(mode):
                regular[rel] = path
            elif not stat.S_ISDIR(mode):
                refused[rel] = "not a regular file, refused"
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
    return regular, refused


def _read_sha256sums(data: bytes, problems: list[str]) -> dict[str, str]:
    """``{name: lowercase sha256}`` from the bytes of a ``SHA256SUMS`` in ``sha256sum`` format
    (``<64 hex>  <name>`` text mode or ``<64 hex> *<name>`` binary mode, one a line); a malformed,
    escaped (leading ``\\``), duplicated or unsafe line is a problem and is not used."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{SHA256SUMS}: not UTF-8 text")
        return {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    listed: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix("\r")
        digest, name = line[:64], line[66:]
        if len(line) < 67 or not _HEX64.fullmatch(digest) or line[64:66] not in ("  ", " *"):
            problems.append(f"{SHA256SUMS} line {number}: malformed (expected '<64 hex>  <path>')")
            continue
        reason = unsafe_path_reason(name)
        if reason:
            problems.append(f"{SHA256SUMS} line {number}: {shown_name(name)}: {reason}")
            continue
        if name in listed:
            problems.append(f"{SHA256SUMS} line {number}: {shown_name(name)} listed twice")
            continue
        listed[name] = digest.lower()
    return listed


def _read_manifest(data: bytes, problems: list[str], *, require_files: bool = True) -> dict[str, dict[str, Any]] | None:
    """The ``files`` of a manifest (``{name: {"bytes": int, "sha256": hex, "md5": hex, "sm3": hex?}}``);
    a manifest that does not parse (``None``), or an entry without a SHA-256 or with an unsafe
    path, is a problem."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(f"{MANIFEST}: not valid UTF-8 JSON")
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        if require_files:
            problems.append(f"{MANIFEST}: no 'files' object")
        return None
    out = {}
    for name, entry in files.items():
        reason = unsafe_path_reason(name)
        if reason:
            problems.append(f"{MANIFEST}: {shown_name(name)}: {reason}")
        elif not isinstance(entry, dict) or not _HEX64.fullmatch(str(entry.get("sha256", ""))):
            problems.append(f"{MANIFEST}: {shown_name(name)}: entry has no SHA-256")
        else:
            out[name] = entry
    return out


def _register_problems(manifest_bytes: bytes, regular: dict[str, Path], problems: list[str]) -> None:
    """The bundle's copy of the evidence register against its manifest (issue 13; see
    docs/decisions/register-in-bundle.md): the copy is the register intake sealed (its SHA-256 is
    the manifest's ``evidence_register.sha256``), and every original it registered is in the
    manifest's ``evidence_items`` with the same bytes and hashes. A manifest without
    ``evidence_register`` (a bundle from before the register was copied) is not checked here."""
    manifest = json.loads(manifest_bytes.decode("utf-8"))
    sealed = manifest.get("evidence_register")
    if sealed is None:
        return
    name = str(sealed.get("file", "")) if isinstance(sealed, dict) else ""
    if unsafe_path_reason(name) or name not in regular:
        problems.append(f"{MANIFEST}: evidence_register names no file of the bundle ({shown_name(name)})")
        return
    data = regular[name].read_bytes()
    if hashlib.sha256(data).hexdigest() != str(sealed.get("sha256", "")).lower():
        problems.append(f"{shown_name(name)}: FAILED (not the register intake sealed: sha256 differs from {MANIFEST} evidence_register)")
        return
    try:
        register = json.loads(data.decode("utf-8"))
        originals = {str(e["path"]): e for e in register}
    except (UnicodeDecodeError, ValueError, TypeError, KeyError):
        problems.append(f"{shown_name(name)}: not a register (a JSON list of items with a path)")
        return
    listed = {str(e.get("path")): e for e in manifest.get("evidence_items") or [] if isinstance(e, dict)}
    for path in sorted(originals):
        entry = listed.get(path)
        if entry is None:
            problems.append(f"{shown_name(name)}: registered original {shown_name(path)} is not in {MANIFEST} evidence_items")
            continue
        # SHA-256 always; the other values where both record them (an algorithm this platform lacks)
        differ = [a for a in ("bytes", *HASH_ALGORITHMS) if a in originals[path] and (a in entry or a == "sha256")
                  and str(entry.get(a)).lower() != str(originals[path][a]).lower()]
        if differ:
            problems.append(f"{shown_name(name)}: registered original {shown_name(path)}: {', '.join(differ)} differ{'s' if len(differ) == 1 else ''} "
                            f"from {MANIFEST} evidence_items")


def check_bundle(folder: Path, *, require_manifest: bool = True) -> BundleCheck:
    """Check a case file folder (a seizure's bundle or a case report) against both of its seals.

    1. ``SHA256SUMS`` (``sha256sum`` format): every line well-formed and naming a relative path
       inside the folder (no absolute path, no ``..``, no backslash; :func:`unsafe_path_reason`),
       each listed file present as a regular file with that SHA-256.
    2. ``manifest.json``: each file in its ``files`` present with the bytes, SHA-256, MD5 and SM3 it
       records (SM3 where this platform's OpenSSL has it), and listed in ``SHA256SUMS`` with the
       same SHA-256 — so an edited data file cannot pass by rewriting ``SHA256SUMS`` alone.
    3. A file listed in ``SHA256SUMS`` but not in the manifest must be the manifest itself or a page
       written after it that names the manifest's SHA-256 (``summary.html``, ``case_summary.html``):
       anything else is reported as not covered by the manifest.
    4. When the manifest names the bundle's copy of the evidence register (``evidence_register``):
       that file has the SHA-256 recorded there, and every original it registered is in the
       manifest's ``evidence_items`` with the same bytes and hashes (:func:`_register_problems`).
    5. Every entry of the folder: a regular file not in ``SHA256SUMS`` is reported; a symbolic link
       (to a file or a folder, never followed), FIFO, socket or device is refused.

    The rule is that of 法发〔2016〕22号 art. 5 (integrity check values are compared before
    electronic data is used). Nothing is read through a symbolic link and no record value is put in
    a problem line; file names are escaped (:func:`shown_name`).

    Args:
        folder: the bundle folder.
        require_manifest: a folder without ``manifest.json``, or with one without ``files``, is a
            problem (``True``: a bundle or a case report); ``False`` checks ``SHA256SUMS`` alone
            when there is no manifest or it has no ``files`` (what :func:`verify_sha256sums` does).

    Returns:
        A :class:`BundleCheck`; ``problems`` in a fixed order: ``SHA256SUMS`` lines, listed files,
        manifest entries, then unlisted and refused entries by path.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return BundleCheck(folder, (f"{folder}: not a folder",), 0, None, None)
    problems: list[str] = []
    regular, refused = _walk(folder)
    sums_path = regular.get(SHA256SUMS)
    if sums_path is None:
        problems.append(f"{SHA256SUMS}: {refused.get(SHA256SUMS, 'missing')}")
        sums_bytes = None
    else:
        sums_bytes = sums_path.read_bytes()
    listed = _read_sha256sums(sums_bytes, problems) if sums_bytes is not None else {}
    hashes: dict[str, dict[str, Any]] = {}

    def actual(name: str) -> dict[str, Any] | None:
        if name not in regular:
            return None
        if name not in hashes:
            hashes[name] = hash_file(regular[name])
        return hashes[name]

    for name, digest in listed.items():
        got = actual(name)
        if got is None:
            problems.append(f"{shown_name(name)}: {refused.get(name, 'missing')} (listed in {SHA256SUMS})")
        elif got["sha256"] != digest:
            problems.append(f"{shown_name(name)}: FAILED (sha256 differs from {SHA256SUMS})")

    manifest_sha256 = None
    if MANIFEST in regular:
        manifest_bytes = regular[MANIFEST].read_bytes()
        manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
        sealed = _read_manifest(manifest_bytes, problems, require_files=require_manifest)
        for name, entry in (sealed or {}).items():
            got = actual(name)
            if got is None:
                problems.append(f"{shown_name(name)}: {refused.get(name, 'missing')} (listed in {MANIFEST})")
            else:
                differ = [a for a in ("bytes", *HASH_ALGORITHMS) if a in entry and str(entry[a]).lower() != str(got[a])]
                if differ:
                    problems.append(f"{shown_name(name)}: FAILED ({', '.join(differ)} differ{'s' if len(differ) == 1 else ''} from {MANIFEST})")
            if name not in listed:
                problems.append(f"{shown_name(name)}: in {MANIFEST} but not in {SHA256SUMS}")
            elif listed[name] != str(entry["sha256"]).lower():
                problems.append(f"{shown_name(name)}: {SHA256SUMS} and {MANIFEST} disagree on its sha256")
        for name in listed if sealed is not None else ():
            if name in sealed or name == MANIFEST or name not in regular:
                continue
            if not _contains(regular[name], manifest_sha256.encode("ascii")):
                problems.append(f"{shown_name(name)}: not covered by {MANIFEST} (listed in {SHA256SUMS} only)")
        if sealed is not None:
            _register_problems(manifest_bytes, regular, problems)
    elif require_manifest:
        problems.append(f"{MANIFEST}: {refused.get(MANIFEST, 'missing')}")

    for rel in sorted(set(regular) | set(refused)):
        if rel in refused:
            problems.append(f"{shown_name(rel)}: {refused[rel]}")
        elif rel != SHA256SUMS and rel not in listed:
            problems.append(f"{shown_name(rel)}: not listed in {SHA256SUMS}")
    sums_sha256 = hashlib.sha256(sums_bytes).hexdigest() if sums_bytes is not None else None
    return BundleCheck(folder, tuple(_dedupe(problems)), len(hashes), manifest_sha256, sums_sha256)


def _dedupe(lines: list[str]) -> list[str]:
    seen: set[str] = set()
    return [x for x in lines if not (x in seen or seen.add(x))]


def verify_sha256sums(folder: Path) -> list[str]:
    """Problems checking ``folder`` against its ``SHA256SUMS`` and, when it has one with ``files``,
    its ``manifest.json`` (empty list: verified): :func:`check_bundle` with ``require_manifest=False``.
    Used by ``casefile pull`` and by the case report before it reads a bundle
    (:func:`jobs.export.bundle.fetch_bundle`)."""
    return list(check_bundle(folder, require_manifest=False).problems)


def write_sha256sums(folder: Path) -> None:
    """Write ``folder/SHA256SUMS``: one line ``<sha256>  <relative posix path>`` per file under
    ``folder`` (sorted by path), in the format :func:`verify_sha256sums` reads (that of ``sha256sum``).

    Call it last: a file written after it is reported by the verifier as not listed.
    """
    sums = []
    for p in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = p.relative_to(folder).as_posix()
        sums.append(f"{hash_file(p)['sha256']}  {rel}\n")
    (folder / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")


def code_version() -> str:
    """The installed ``casefile`` version, with ``+g<12 hex>`` of the git commit when the repository's
    ``.git/HEAD`` can be read (``REPO_ROOT``); the version alone otherwise."""
    import importlib.metadata as md

    from jobs.common.config import REPO_ROOT

    version = md.version("casefile")
    head = REPO_ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (REPO_ROOT / ".git" / ref[5:]).read_text().strip()
        return f"{version}+g{ref[:12]}"
    except OSError:
        return version


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries whose behaviour shapes a bundle (``{distribution: version}``;
    a library that is not installed is left out)."""
    import importlib.metadata as md

    names = ["pyspark", "great-expectations", "apache-airflow", "apache-airflow-providers-apache-spark", "opencc", "phonenumbers", "python-stdnum", "openpyxl", "charset-normalizer", "pyarrow"]
    out = {}
    for n in names:
        try:
            out[n] = md.version(n)
        except md.PackageNotFoundError:
            pass
    return out
