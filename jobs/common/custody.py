"""Chain of custody: integrity check values, stage commits, the record ledger and provenance.

- Integrity check values (完整性校验值, 法发〔2016〕22号 art. 5): SHA-256, MD5 and, where the
  platform's OpenSSL provides it, SM3 (GB/T 32905-2016) of every evidence item and exported file;
  a folder's ``SHA256SUMS`` is written by :func:`write_sha256sums` and checked by
  :func:`verify_sha256sums`.
- Stage commit: a stage writes under ``<stage>/_attempt``, validates, then moves it to
  ``<stage>/data`` and writes ``_COMMITTED.json`` last; the marker is the commit point.
- Record ledger: ``in = out + quarantined + duplicates`` per stage, exact (ARCHITECTURE.md).
- Provenance: the code version and library versions a bundle's ``manifest.json`` records.

Light: nothing outside the standard library and ``jobs.common`` is imported here.
"""

from __future__ import annotations

import hashlib
import json
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


def verify_sha256sums(folder: Path) -> list[str]:
    """Problems checking ``folder`` against its ``SHA256SUMS`` (empty list: verified).

    Every listed file must exist with that SHA-256 and every other file must be listed (法发〔2016〕22号
    art. 5: integrity check values are compared before use). Used by ``casefile verify``/``pull``
    and by the case report before it reads a bundle.
    """
    sums = folder / "SHA256SUMS"
    if not sums.is_file():
        return ["SHA256SUMS: missing"]
    problems, listed = [], set()
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            problems.append(f"SHA256SUMS line {number}: malformed")
            continue
        listed.add(name)
        target = folder / name
        if not target.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(target) != digest:
            problems.append(f"{name}: FAILED (sha256 differs)")
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel != "SHA256SUMS" and rel not in listed:
            problems.append(f"{rel}: not listed in SHA256SUMS")
    return problems


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
