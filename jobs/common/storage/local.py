"""The local-folder backend: every store is a folder ``<root>/<store>/`` (the embedded default)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from jobs.common.errors import ConfigError, EvidenceIntegrityError
from jobs.common.storage.base import STORES, Storage


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
        return sorted(p.relative_to(base).as_posix() for p in top.rglob("*") if p.is_file())

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
