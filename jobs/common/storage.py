"""Object storage behind one interface: a local folder (embedded default) or MinIO/S3.

Only this module touches storage. Stores are ``evidence`` (originals, write-once), ``work``
(stage outputs) and ``casefiles`` (published bundles). Spark reads and writes through
:meth:`Storage.spark_path`: a local path for the folder backend.
"""

from __future__ import annotations

import os
import shutil
import stat
from abc import ABC, abstractmethod
from pathlib import Path

from jobs.common.config import Config
from jobs.common.errors import ConfigError, EvidenceIntegrityError

STORES: tuple[str, ...] = ("evidence", "work", "casefiles")


class Storage(ABC):
    """The storage interface every stage uses."""

    @abstractmethod
    def spark_path(self, store: str, key: str) -> str:
        """A location Spark can read or write for ``key`` (a local path or an s3a:// URI)."""

    @abstractmethod
    def exists(self, store: str, key: str) -> bool: ...

    @abstractmethod
    def read_bytes(self, store: str, key: str) -> bytes: ...

    @abstractmethod
    def write_bytes(self, store: str, key: str, data: bytes) -> None:
        """Write an object atomically (readers see the old or the new object, never a part)."""

    @abstractmethod
    def put_file(self, store: str, key: str, src: Path, *, write_once: bool = False) -> None:
        """Upload a file. ``write_once``: the object becomes read-only and may never be replaced."""

    @abstractmethod
    def get_file(self, store: str, key: str, dest: Path) -> None: ...

    @abstractmethod
    def list(self, store: str, prefix: str) -> list[str]:
        """Keys below ``prefix`` (recursive), sorted."""

    @abstractmethod
    def delete_prefix(self, store: str, prefix: str) -> None: ...

    @abstractmethod
    def move_prefix(self, store: str, src: str, dest: str) -> None:
        """Move every object below ``src`` to ``dest`` (``dest`` must not exist)."""


class LocalStorage(Storage):
    """Stores are folders ``<root>/<store>/``. Used by default on one machine."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, store: str, key: str) -> Path:
        if store not in STORES:
            raise ConfigError(f"unknown store {store!r}")
        base = self.root / store
        path = (base / key).resolve() if key else base
        if path != base and base not in path.parents:
            raise ConfigError(f"key escapes its store: {key!r}")
        return path

    def spark_path(self, store: str, key: str) -> str:
        return str(self._path(store, key))

    def exists(self, store: str, key: str) -> bool:
        return self._path(store, key).exists()

    def read_bytes(self, store: str, key: str) -> bytes:
        return self._path(store, key).read_bytes()

    def write_bytes(self, store: str, key: str, data: bytes) -> None:
        path = self._path(store, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def put_file(self, store: str, key: str, src: Path, *, write_once: bool = False) -> None:
        path = self._path(store, key)
        if write_once and path.exists():
            raise EvidenceIntegrityError(f"write-once object already exists: {store}/{key}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        shutil.copyfile(src, tmp)
        if write_once:
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, path)

    def get_file(self, store: str, key: str, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self._path(store, key), dest)

    def list(self, store: str, prefix: str) -> list[str]:
        base = self._path(store, "")
        top = self._path(store, prefix)
        if top.is_file():
            return [prefix]
        if not top.exists():
            return []
        return sorted(str(p.relative_to(base)) for p in top.rglob("*") if p.is_file())

    def delete_prefix(self, store: str, prefix: str) -> None:
        path = self._path(store, prefix)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def move_prefix(self, store: str, src: str, dest: str) -> None:
        target = self._path(store, dest)
        if target.exists():
            raise ConfigError(f"destination exists: {store}/{dest}")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(store, src), target)


def get_storage(config: Config) -> Storage:
    """The storage backend the configuration selects."""
    if config.storage_backend == "local":
        return LocalStorage(Path(config.home))
    raise ConfigError(f"storage backend {config.storage_backend!r} is not available in this build")
