"""Archives in a seizure: zip (incl. AES), tar (plain, gz, bz2, xz), gz, 7z (incl. AES) and RAR (v4, v5),
expanded into evidence items.

Every member that is a regular file becomes an evidence item of its own: its bytes are written to
the run's work area (``<intake attempt>/_extracted/<sha256 of the archive's item path>[:16]/<ordinal><ext>``, a name
made by intake, never the member's own name), hashed (SHA-256, MD5, SM3: 法发〔2016〕22号 art. 5),
and recorded with ``parent_sha256`` (the archive's SHA-256), ``parent_path`` and ``member_path``;
its item path is ``<archive path>/<member path>``. The original archive in the evidence store is
only read. Archives inside archives are expanded the same way up to ``max_depth``.

Refused members (listed in ``evidence_items`` with ``format = refused:<reason>``, never written):

=======================  ===================================================================
``path_traversal``       a ``..`` component (would leave the extraction folder)
``absolute_path``        the name starts with ``/``
``drive_letter``         the name starts with a Windows drive (``C:``)
``backslash_in_path``    the name holds ``\\`` (a Windows separator: ``..\\..\\x`` on extraction)
``invalid_name``         an empty name or a NUL character
``link_member``          a symbolic or hard link
``path_through_link``    a name that goes through a link member of the same archive
``special_member``       a device, FIFO or other non-regular member
``encrypted_member``     encrypted in a way no reader here opens
``password_missing``     encrypted, and no password is set for the seizure (:func:`seizure_passwords`)
``password_wrong``       encrypted, and none of the seizure's passwords opens it (a wrong password
                         is told by the format's check value, or by the CRC/HMAC of the data)
``member_too_large``     more than ``max_member_bytes`` (declared, or seen while writing)
``archive_too_large``    the archive's members together exceed ``max_total_bytes``
``compression_ratio``    expands more than ``max_ratio`` times its compressed size (a
                         decompression bomb); checked on the declared sizes and while writing
``too_many_members``     beyond ``max_members``
``nesting_too_deep``     an archive nested deeper than ``max_depth``
``corrupt_member``       a CRC or format error while reading the member
``corrupt_archive``      the archive cannot be opened (the archive item itself)
``directory_with_data``  a directory entry that holds bytes
``duplicate_member_name`` a later member with the name of an earlier one
``too_many_items``       beyond the seizure's ``intake.max_items`` (all items together)
=======================  ===================================================================

Readers: zipfile through pyzipper (AES-encrypted zip, WinZip AE-1/AE-2, and ZipCrypto), tarfile, gzip,
py7zr (7z, AES-256), rarfile (RAR 4 and 5 headers parsed in Python; stored unencrypted data read
directly, encrypted or compressed data through ``unar``, Makefile ``system-deps``).

Passwords: a per-seizure secret from the environment (``CASEFILE_ARCHIVE_PASSWORD_<SEIZURE>``) or an
Airflow connection (``casefile_archive_<seizure>``, its password field), never from a config file;
never logged, never written into an item. Known leak: rarfile hands a password to ``unar`` as
``-p`` on its command line, so while an encrypted RAR member is extracted a local user who can read
``/proc/<pid>/cmdline`` sees it (run intake on a worker no one else logs into).

Limits: :class:`jobs.common.config.ArchiveLimits` (``configs/pipeline.yaml`` ``intake.archives``). Zip member names without the UTF-8
flag (bit 11) are decoded as UTF-8 if every such name is valid UTF-8, else GB18030 (Chinese
Windows "ANSI"), else Big5-HKSCS, else CP437 (the zip specification's default, APPNOTE 4.4.17).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from jobs.common.config import ArchiveLimits
from jobs.common.custody import HASH_ALGORITHMS

CHUNK = 1 << 20
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
_GZ_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_RAR_MAGIC = (b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")  # RAR 4.x marker block, RAR 5.0 signature
PASSWORD_ENV_PREFIX = "CASEFILE_ARCHIVE_PASSWORD_"
PASSWORD_CONN_PREFIX = "casefile_archive_"
_WORKBOOK_EXTENSIONS = {".xlsx", ".xlsm", ".docx", ".pptx"}
_DRIVE = re.compile(r"^[A-Za-z]:")


class Refused(Exception):
    """A member (or archive) intake will not extract; ``args[0]`` is the reason code."""


def archive_kind(path: Path, name: str | None = None) -> str | None:
    """``zip``, ``tar``, ``gz``, ``7z``, ``rar`` or ``None`` (not an archive), from the bytes, then the name.

    A zip whose name ends ``.xlsx``/``.xlsm`` is a workbook, not an archive.
    """
    name = name or path.name
    with open(path, "rb") as fh:
        head = fh.read(512)
    lower = name.lower()
    if head.startswith(_ZIP_MAGIC):
        return None if PurePosixPath(lower).suffix in _WORKBOOK_EXTENSIONS else "zip"
    if head.startswith(_7Z_MAGIC):
        return "7z"
    if head.startswith(_RAR_MAGIC):
        return "rar"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith((_GZ_MAGIC, _BZ2_MAGIC, _XZ_MAGIC)):
        try:
            with tarfile.open(path, "r:*") as tf:
                if tf.next() is None:  # an end-of-archive block only (e.g. compressed NUL bytes): not a tar
                    raise tarfile.ReadError("no member")
            return "tar"
        except (tarfile.TarError, OSError, EOFError):
            return "gz" if head.startswith(_GZ_MAGIC) else None
    return None


def seizure_passwords(seizure_id: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The passwords the investigators gave for one seizure's encrypted archives (a secret).

    Looked up in the environment first, ``CASEFILE_ARCHIVE_PASSWORD_<SEIZURE>`` (the seizure id upper
    case, every character other than A-Z and 0-9 as ``_``; several passwords one a line), then in an
    Airflow connection ``casefile_archive_<seizure>`` (lower case, same folding), its password
    field (Airflow's secrets backends and ``AIRFLOW_CONN_*`` apply). Never from a config file
    (STYLE.md rule 6); the value is never logged.

    Returns:
        The passwords, in the order given; ``()`` when none is set.
    """
    environ = os.environ if environ is None else environ
    key = re.sub(r"[^A-Z0-9]", "_", seizure_id.upper())
    value = environ.get(PASSWORD_ENV_PREFIX + key)
    if value is None:
        try:
            from airflow.sdk import BaseHook  # only inside an Airflow deployment

            value = BaseHook.get_connection(PASSWORD_CONN_PREFIX + key.lower()).password
        except Exception:  # noqa: BLE001 - no Airflow, no such connection: no password
            value = None
    return tuple(p for p in (value or "").splitlines() if p)


def refuse_name(name: str) -> str | None:
    """The reason code refusing a member name, or ``None`` when it is safe inside a folder."""
    if not name or "\x00" in name:
        return "invalid_name"
    if "\\" in name:
        return "backslash_in_path"
    if name.startswith("/"):
        return "absolute_path"
    if _DRIVE.match(name):
        return "drive_letter"
    if any(part == ".." for part in name.split("/")):
        return "path_traversal"
    return None


def _zip_names(zf: zipfile.ZipFile) -> tuple[dict[zipfile.ZipInfo, str], str]:
    """Member names decoded (see the module docstring) and the encoding used for unflagged names."""
    raw = {info: info.filename.encode("cp437") for info in zf.infolist() if not info.flag_bits & 0x800}
    non_ascii = [b for b in raw.values() if any(c > 0x7F for c in b)]
    encoding = "cp437"
    for candidate in ("utf-8", "gb18030", "big5hkscs"):
        try:
            for b in non_ascii:
                b.decode(candidate, errors="strict")
        except UnicodeDecodeError:
            continue
        encoding = candidate
        break
    if not non_ascii:
        encoding = "ascii"
    names = {info: (raw[info].decode(encoding if encoding != "ascii" else "cp437") if info in raw else info.filename)
             for info in zf.infolist()}
    return names, encoding


class _Writer:
    """Writes one member's bytes to its work-area file with the limits and all hashes."""

    def __init__(self, dest: Path, limits: ArchiveLimits, compressed: int | None, budget: dict[str, int]) -> None:
        self.dest = dest
        self.limits = limits
        self.compressed = compressed
        self.budget = budget
        self.size = 0
        self.hashers = {a: hashlib.new(a) for a in HASH_ALGORITHMS}
        dest.parent.mkdir(parents=True, exist_ok=True)
        self.fh: BinaryIO | None = open(dest, "xb")

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        self.budget["written"] += len(chunk)
        if self.size > self.limits.max_member_bytes:
            raise Refused("member_too_large")
        if self.budget["written"] > self.limits.max_total_bytes:
            raise Refused("archive_too_large")
        if self.compressed is not None and self.size > self.limits.ratio_floor_bytes \
                and self.size > self.limits.max_ratio * max(1, self.compressed):
            raise Refused("compression_ratio")
        if self.budget["written"] > self.limits.ratio_floor_bytes \
                and self.budget["written"] > self.limits.max_ratio * max(1, self.budget["archive_bytes"]):
            raise Refused("compression_ratio")
        for h in self.hashers.values():
            h.update(chunk)
        assert self.fh is not None
        self.fh.write(chunk)
        return len(chunk)

    def copy_from(self, stream: BinaryIO) -> None:
        while chunk := stream.read(CHUNK):
            self.write(chunk)

    def close(self) -> dict[str, Any]:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        return {"bytes": self.size, **{a: h.hexdigest() for a, h in self.hashers.items()}}

    def discard(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
        self.dest.unlink(missing_ok=True)


def _suffix(name: str) -> str:
    """A safe extension for the work-area file (the format is detected from it): ``.csv``, ``.tar.gz``."""
    p = PurePosixPath(name.replace("\\", "/"))
    suffixes = "".join(p.suffixes[-2:]) if p.suffixes[-2:-1] == [".tar"] else p.suffix
    return suffixes.lower() if re.fullmatch(r"(\.[A-Za-z0-9]{1,8}){0,2}", suffixes) else ""


def expand_archive(entry: dict[str, Any], local: Path, work_dir: Path, limits: ArchiveLimits, *,
                   depth: int = 1, seizure: dict[str, int] | None = None,
                   seen: dict[str, str] | None = None,
                   passwords: Sequence[str] = ()) -> tuple[str | None, list[dict[str, Any]]]:
    """Expand one archive item into member items and refusals, recursively.

    Args:
        entry: the archive's evidence item (``path``, ``sha256``).
        local: the archive's bytes (read only).
        work_dir: the run's extraction folder (inside the intake attempt).
        limits: the configured limits.
        depth: nesting level of ``entry``'s members (1 for an original archive).
        seizure: the seizure's item budget ``{"items": counted so far, "max": intake.max_items}``;
            a member beyond it is refused (``too_many_items``) before it is written.
        seen: SHA-256 → item path of the items met so far in the seizure; a member byte-identical
            to one of them is a duplicate (``status = "duplicate"``, ``duplicate_of``): its file is
            removed and, if it is an archive, it is not expanded again.
        passwords: the seizure's archive passwords (:func:`seizure_passwords`), tried in order on
            every encrypted member; none given: encrypted members are refused ``password_missing``.

    Returns:
        ``(kind, members)``: the archive kind, ``None`` if ``local`` is not an archive; each member
        is ``{"path", "member_path", "parent_path", "parent_sha256", "name_encoding", "depth",
        "status": "extracted"|"refused", ...}`` with, when extracted, ``local_path``, ``name``,
        ``bytes`` and the hashes, when refused ``refusal_reason`` and ``format = refused:<reason>``.
    """
    kind = archive_kind(local, entry.get("name") or entry["path"])
    if kind is None:
        return None, []
    # One folder per archive item path (two copies of one archive have one hash, not one path).
    out_dir = work_dir / hashlib.sha256(entry["path"].encode("utf-8")).hexdigest()[:16]
    budget = {"written": 0, "archive_bytes": local.stat().st_size}

    def base_of(member_path: str, name_encoding: str) -> dict[str, Any]:
        return {"path": f"{entry['path']}/{member_path}", "member_path": member_path,
                "parent_path": entry["path"], "parent_sha256": entry["sha256"],
                "name_encoding": name_encoding, "depth": depth}

    # (member base, written file or None, hashes or a refusal reason)
    done: list[tuple[dict[str, Any], Path | None, dict[str, Any] | str]] = []
    try:
        if kind == "7z":
            done = _7z_expand(local, entry, out_dir, limits, base_of, seizure, passwords)
        else:
            readers = {"zip": _zip_members, "tar": _tar_members, "gz": _gz_members, "rar": _rar_members}
            members = readers[kind](local, entry, limits, passwords) if kind in ("zip", "rar") else readers[kind](local, entry, limits)
            for ordinal, (member_path, name_encoding, opener) in enumerate(members, start=1):
                base = base_of(member_path, name_encoding)
                if ordinal > limits.max_members:
                    done.append((base, None, "too_many_members"))
                    continue
                if isinstance(opener, str):
                    done.append((base, None, opener))
                    continue
                if seizure is not None:
                    if seizure["items"] >= seizure["max"]:
                        done.append((base, None, "too_many_items"))
                        continue
                    seizure["items"] += 1
                dest = out_dir / f"{ordinal:06d}{_suffix(member_path)}"
                try:
                    done.append((base, dest, opener(dest, budget).close()))
                except Refused as exc:
                    done.append((base, None, exc.args[0]))
                except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError, RuntimeError, zlib.error, _RarError):
                    dest.unlink(missing_ok=True)
                    done.append((base, None, "corrupt_member"))
    except Refused as exc:
        done.append((base_of("*", ""), None, exc.args[0]))

    results: list[dict[str, Any]] = []
    for base, dest, got in done:
        if isinstance(got, str) or dest is None:
            results.append(_refused(base, got if isinstance(got, str) else "corrupt_member"))
            continue
        member = {**base, "status": "extracted", "local_path": str(dest), "name": PurePosixPath(base["member_path"]).name, **got}
        results.append(member)
        if seen is not None:
            first = seen.setdefault(member["sha256"], member["path"])
            if first != member["path"]:
                dest.unlink(missing_ok=True)
                member.update(status="duplicate", duplicate_of=first, local_path=None, format=f"duplicate_of:{first}",
                              rows_read=0, records=0, rows_quarantined=0)
                continue
        if depth < limits.max_depth:
            nested_kind, nested = expand_archive(member, dest, work_dir, limits, depth=depth + 1, seizure=seizure, seen=seen,
                                                 passwords=passwords)
            if nested_kind is not None:
                member["archive_kind"] = nested_kind
                results.extend(nested)
        elif archive_kind(dest, base["member_path"]) is not None:
            member["archive_kind"] = "not expanded"
            results.append(_refused({"path": f"{member['path']}/*", "member_path": "*", "parent_path": member["path"],
                                     "parent_sha256": member["sha256"], "name_encoding": "", "depth": depth + 1},
                                    "nesting_too_deep"))
    return kind, results


def _refused(base: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**base, "status": "refused", "refusal_reason": reason,
            "format": f"refused:{reason}", "bytes": None, "rows_read": 0, "records": 0, "rows_quarantined": 0}


Opener = Any  # Callable[[Path, dict], _Writer] or a refusal reason (str)


def _with_password(dest: Path, limits: ArchiveLimits, compressed: int | None, budget: dict[str, int],
                   passwords: Sequence[str], copy: Any, wrong: tuple[type[BaseException], ...]) -> _Writer:
    """Write an encrypted member with the first password that opens it.

    ``copy(writer, password)`` writes the member's bytes; it raises one of ``wrong`` for a wrong
    password (the format's password check, or the data's CRC/HMAC failing: ZipCrypto's check byte
    passes 1 wrong password in 256). The bytes of a failed try leave the budget again.
    """
    if not passwords:
        raise Refused("password_missing")
    for password in passwords:
        w = _Writer(dest, limits, compressed, budget)
        try:
            copy(w, password)
            return w
        except Refused:
            w.discard()
            raise
        except wrong:
            budget["written"] -= w.size
            w.discard()
        except BaseException:
            w.discard()
            raise
    raise Refused("password_wrong")


def _zip_members(local: Path, entry: dict[str, Any], limits: ArchiveLimits,
                 passwords: Sequence[str] = ()) -> Iterator[tuple[str, str, Opener]]:
    import pyzipper  # AES zip (and ZipCrypto): a zipfile.ZipFile subclass

    try:
        zf = pyzipper.AESZipFile(local)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused("corrupt_archive") from exc
    with zf:
        names, encoding = _zip_names(zf)
        seen: set[str] = set()
        for info in zf.infolist():
            name = names[info]
            if info.is_dir() and info.file_size == 0:
                continue
            mode = info.external_attr >> 16
            why = refuse_name(name)
            if why is None and info.is_dir():
                why = "directory_with_data"  # a name ending in "/" that holds bytes
            elif why is None and name in seen:
                why = "duplicate_member_name"  # a later member of the same name: one item path each
            elif why is None and stat.S_ISLNK(mode):
                why = "link_member"
            elif why is None and mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
                why = "special_member"
            elif why is None and info.flag_bits & 0x1 and not passwords:
                why = "password_missing"
            elif why is None and info.file_size > limits.max_member_bytes:
                why = "member_too_large"
            elif why is None and info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(1, info.compress_size):
                why = "compression_ratio"
            seen.add(name)
            if why is not None:
                yield name, encoding, why
                continue

            def opener(dest: Path, budget: dict[str, int], info: zipfile.ZipInfo = info) -> _Writer:
                if info.flag_bits & 0x1:
                    def copy(w: _Writer, password: str) -> None:
                        with zf.open(info, pwd=password.encode("utf-8")) as src:
                            w.copy_from(src)

                    # RuntimeError: the password check failed; BadZipFile: the CRC or AES HMAC did
                    return _with_password(dest, limits, info.compress_size, budget, passwords, copy,
                                          (RuntimeError, zipfile.BadZipFile))
                w = _Writer(dest, limits, info.compress_size, budget)
                try:
                    with zf.open(info) as src:
                        w.copy_from(src)
                except BaseException:
                    w.discard()
                    raise
                return w

            yield name, encoding, opener


def _tar_members(local: Path, entry: dict[str, Any], limits: ArchiveLimits) -> Iterator[tuple[str, str, Opener]]:
    try:
        tf = tarfile.open(local, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise Refused("corrupt_archive") from exc
    links: set[str] = set()
    with tf:
        for info in tf:
            name = info.name
            if info.isdir():
                continue
            encoding = "utf-8"
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                # tarfile decodes names with surrogateescape: a GBK name keeps its bytes as lone
                # surrogates. Give it its readable form (the escaped bytes go in the item).
                from jobs.intake.evidence import name_forms

                name, _, encoding = name_forms(name.encode("utf-8", "surrogateescape"))
            why = refuse_name(name)
            norm = name[2:] if name.startswith("./") else name
            parents = {"/".join(norm.split("/")[:i]) for i in range(1, norm.count("/") + 1)}
            if info.issym() or info.islnk():
                links.add(norm.rstrip("/"))
                why = why or "link_member"
            elif why is None and parents & links:
                why = "path_through_link"
            elif why is None and not info.isreg():
                why = "special_member"
            elif why is None and info.size > limits.max_member_bytes:
                why = "member_too_large"
            if why is not None:
                yield name, encoding, why
                continue

            def opener(dest: Path, budget: dict[str, int], info: tarfile.TarInfo = info) -> _Writer:
                w = _Writer(dest, limits, None, budget)
                try:
                    src = tf.extractfile(info)
                    assert src is not None
                    with src:
                        w.copy_from(src)
                except BaseException:
                    w.discard()
                    raise
                return w

            yield name, encoding, opener


def _gz_members(local: Path, entry: dict[str, Any], limits: ArchiveLimits) -> Iterator[tuple[str, str, Opener]]:
    name = PurePosixPath(entry.get("name") or entry["path"]).name
    member = name[:-3] if name.lower().endswith(".gz") else (name[:-4] + ".tar" if name.lower().endswith(".tgz") else name + ".out")

    def opener(dest: Path, budget: dict[str, int]) -> _Writer:
        w = _Writer(dest, limits, local.stat().st_size, budget)
        try:
            with gzip.open(local, "rb") as src:
                w.copy_from(src)
        except BaseException:
            w.discard()
            raise
        return w

    yield member, "", opener


class _RarError(Exception):
    """Stands for rarfile's errors in the except clauses until rarfile is imported (lazy import)."""


def _rar_errors() -> tuple[type[BaseException], ...]:
    import rarfile

    return (rarfile.Error, _RarError)


def _rar_open(rf: Any, info: Any, password: str | None) -> Any:
    """The data of exactly this member. ``RarFile.open`` looks a member up by its *name*, so with
    two members of one name it reads the last one's bytes for the first: the parser's ``open``
    takes the header itself (rarfile 4.5, pinned; tests/unit/test_intake_format_rar.py checks it)."""
    return rf._file_parser.open(info, password)


def _rar_members(local: Path, entry: dict[str, Any], limits: ArchiveLimits,
                 passwords: Sequence[str] = ()) -> Iterator[tuple[str, str, Opener]]:
    """Members of a RAR 4 or RAR 5 archive (rarfile; encrypted or compressed data through unar).

    Links are refused from the header, before any data is read: a RAR 5 file system redirection
    record (symlink, junction, hard link, file copy: rarfile would read the *target*'s bytes for a
    hard link or a copy) or a Unix ``S_IFLNK`` mode (RAR 4 symlinks). Archives with encrypted
    headers (``rar -hp``) are opened with the first password that reads them.
    """
    import rarfile

    rarfile.tool_setup(unrar=False, unar=True, bsdtar=False, sevenzip=False, sevenzip2=False, force=True)
    errors = _rar_errors()
    try:
        # errors="strict": a truncated or damaged header block refuses the archive (rarfile's default
        # stops silently and lists only the members before the damage)
        rf = rarfile.RarFile(local, errors="strict")
    except (*errors, OSError, EOFError) as exc:
        raise Refused("corrupt_archive") from exc
    if rf._file_parser.has_header_encryption():
        # rar -hp: the member headers themselves are encrypted; setpassword() parses them again
        # (not covered by a generated test: our writer does not encrypt headers)
        if not passwords:
            raise Refused("password_missing")
        for password in passwords:
            try:
                rf.setpassword(password)
                if rf.infolist():
                    break
            except errors:
                continue
        else:
            raise Refused("password_wrong")
    with rf:
        seen: set[str] = set()
        links: set[str] = set()
        for info in rf.infolist():
            name = info.filename
            if info.is_dir() and not info.file_size:
                continue
            mode = info.mode or 0
            why = refuse_name(name)
            parents = {"/".join(name.split("/")[:i]) for i in range(1, name.count("/") + 1)}
            if info.file_redir is not None or info.is_symlink() or stat.S_ISLNK(mode):
                links.add(name.rstrip("/"))
                why = why or "link_member"
            elif why is None and parents & links:
                why = "path_through_link"
            elif why is None and info.is_dir():
                why = "directory_with_data"
            elif why is None and name in seen:
                why = "duplicate_member_name"
            elif why is None and info.flags & rarfile.RAR_FILE_SPLIT_BEFORE:
                why = "corrupt_member"  # the rest of a member split over volumes: its first part is elsewhere
            elif why is None and info.needs_password() and not passwords:
                why = "password_missing"
            elif why is None and info.file_size > limits.max_member_bytes:
                why = "member_too_large"
            elif why is None and info.file_size > limits.ratio_floor_bytes \
                    and info.file_size > limits.max_ratio * max(1, info.compress_size):
                why = "compression_ratio"
            seen.add(name)
            if why is not None:
                yield name, "utf-8", why
                continue

            def opener(dest: Path, budget: dict[str, int], info: Any = info) -> _Writer:
                if info.needs_password():
                    def copy(w: _Writer, password: str) -> None:
                        with _rar_open(rf, info, password) as src:
                            w.copy_from(src)

                    # RAR 5 checks the password against its check value; RAR 4 only by the CRC
                    return _with_password(dest, limits, info.compress_size, budget, passwords, copy, (*errors, OSError))
                w = _Writer(dest, limits, info.compress_size, budget)
                try:
                    with _rar_open(rf, info, None) as src:
                        w.copy_from(src)
                except errors as exc:
                    w.discard()
                    raise _RarError(type(exc).__name__) from exc
                except BaseException:
                    w.discard()
                    raise
                return w

            yield name, "utf-8", opener


class _WrongPassword(Exception):
    """An encrypted 7z that did not open or decode with the password tried."""


def _7z_expand(local: Path, entry: dict[str, Any], out_dir: Path, limits: ArchiveLimits, base_of: Any,
               seizure: dict[str, int] | None = None,
               passwords: Sequence[str] = ()) -> list[tuple[dict[str, Any], Path | None, dict[str, Any] | str]]:
    """Members of a 7z archive; an encrypted one (AES-256, data or headers) with the first of
    ``passwords`` that decodes it, else the archive is refused (``password_missing``,
    ``password_wrong``: with 7z a wrong key shows as a failed decode or CRC, so a corrupt
    encrypted archive is also ``password_wrong``)."""
    import py7zr

    try:
        with py7zr.SevenZipFile(local, mode="r") as probe:
            encrypted = probe.needs_password()
    except py7zr.exceptions.PasswordRequired:
        encrypted = True  # encrypted headers (7z -mhe=on): not even the names without the key
    except (py7zr.exceptions.Bad7zFile, OSError, EOFError) as exc:
        raise Refused("corrupt_archive") from exc
    if not encrypted:
        return _7z_extract(local, out_dir, limits, base_of, seizure, None)
    if not passwords:
        raise Refused("password_missing")
    items_before = seizure["items"] if seizure is not None else 0
    for password in passwords:
        try:
            return _7z_extract(local, out_dir, limits, base_of, seizure, password)
        except _WrongPassword:
            if seizure is not None:
                seizure["items"] = items_before
    raise Refused("password_wrong")


def _7z_extract(local: Path, out_dir: Path, limits: ArchiveLimits, base_of: Any, seizure: dict[str, int] | None,
                password: str | None) -> list[tuple[dict[str, Any], Path | None, dict[str, Any] | str]]:
    """Members of a 7z archive, extracted in one pass (7z is solid: one member at a time would
    decompress the block again for each) through py7zr's writer factory, so that every byte goes
    through the same limits and hashes as the other formats and nothing is written by name.

    Raises:
        _WrongPassword: with ``password`` given, the archive did not open or a member did not decode.
    """
    import py7zr
    from py7zr.io import Py7zIO, WriterFactory

    try:
        archive = py7zr.SevenZipFile(local, mode="r", password=password)
    except (py7zr.exceptions.Bad7zFile, OSError, EOFError) as exc:
        if password is not None:
            raise _WrongPassword from exc
        raise Refused("corrupt_archive") from exc
    except Exception as exc:  # noqa: BLE001 - a wrong key decodes encrypted headers into anything (TypeError...)
        if password is None:
            raise
        raise _WrongPassword from exc
    with archive:
        infos = [i for i in archive.list() if not i.is_directory]
        if len(infos) > limits.max_members:
            raise Refused("too_many_members")
        plan: dict[str, Path] = {}
        out: list[tuple[dict[str, Any], Path | None, dict[str, Any] | str]] = []
        links: set[str] = set()
        total = 0
        for ordinal, info in enumerate(infos, start=1):
            name = info.filename
            why = refuse_name(name)
            if info.is_symlink:
                links.add(name)
                why = why or "link_member"
            elif why is None and any("/".join(name.split("/")[:i]) in links for i in range(1, name.count("/") + 1)):
                why = "path_through_link"
            elif why is None and not info.is_file:
                why = "special_member"
            elif why is None and info.uncompressed > limits.max_member_bytes:
                why = "member_too_large"
            elif why is None and name in plan:
                why = "duplicate_member_name"
            elif why is None and seizure is not None and seizure["items"] >= seizure["max"]:
                why = "too_many_items"
            if why is None:
                if seizure is not None:
                    seizure["items"] += 1
                total += info.uncompressed
                plan[name] = out_dir / f"{ordinal:06d}{_suffix(name)}"
            out.append((base_of(name, "utf-8"), plan.get(name) if why is None else None, why or {}))
        archive_bytes = local.stat().st_size
        if total > limits.max_total_bytes:
            raise Refused("archive_too_large")
        if total > limits.ratio_floor_bytes and total > limits.max_ratio * max(1, archive_bytes):
            raise Refused("compression_ratio")
        budget = {"written": 0, "archive_bytes": archive_bytes}
        done: dict[str, dict[str, Any] | str] = {}

        created: set[str] = set()

        class _IO(Py7zIO):
            def __init__(self, name: str) -> None:
                self.name = name
                # only the first member of a name is written (later ones are refused above)
                self.writer = _Writer(plan[name], limits, None, budget) if name in plan and name not in created else None
                created.add(name)

            def write(self, s: bytes | bytearray) -> int:
                if self.writer is not None and self.name not in done:
                    try:
                        self.writer.write(bytes(s))
                    except Refused as exc:
                        done[self.name] = exc.args[0]
                        self.writer.discard()
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                pass

            def size(self) -> int:
                return self.writer.size if self.writer else 0

            def close(self) -> None:
                if self.writer is not None and self.name not in done:
                    done[self.name] = self.writer.close()

        class _Factory(WriterFactory):
            def create(self, filename: str) -> Py7zIO:
                return _IO(filename)

        if plan:
            try:
                archive.extract(targets=list(plan), factory=_Factory())
            except Exception as exc:  # noqa: BLE001 - sorted below: corrupt, or a wrong key (LZMAError...)
                for name in plan:
                    Path(plan[name]).unlink(missing_ok=True)
                if password is not None:
                    raise _WrongPassword from exc
                if not isinstance(exc, (py7zr.exceptions.Bad7zFile, py7zr.exceptions.CrcError, OSError, EOFError, ValueError)):
                    raise
                for name in plan:
                    done.setdefault(name, "corrupt_member")
        result = []
        for base, dest, why in out:
            if dest is None:
                result.append((base, None, why))
            else:
                got = done.get(base["member_path"], "corrupt_member")
                if isinstance(got, str):
                    dest.unlink(missing_ok=True)
                result.append((base, dest if not isinstance(got, str) else None, got))
        return result
