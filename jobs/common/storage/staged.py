"""A remote store (MinIO) seen through a local scratch folder: what stages get when the store is
MinIO, so that Spark reads and writes local paths (:class:`StagedStorage`, :func:`scratch_root`)."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path

from jobs.common.config import Config
from jobs.common.errors import ConfigError
from jobs.common.storage.base import Storage
from jobs.common.storage.local import LocalStorage

log = logging.getLogger("casefile")


class StagedStorage(Storage):
    """A remote store (MinIO) seen through a local scratch folder, for Spark without S3A.

    - :meth:`spark_path` returns a path in the scratch folder; what the remote store holds at that
      key (a committed dataset, an evidence item) is downloaded and verified on first use.
    - Writes of Spark and of the export stage land in the scratch folder; :meth:`move_prefix` (the
      stage commit) uploads them to the destination, multipart and verified. ``.crc`` side files
      of Hadoop's local file system are not uploaded.
    - :meth:`write_bytes` (markers, manifests, run records) writes through to the remote store at
      once, so the commit marker written last is the commit point, as with the local folder.

    Args:
        remote: the object store.
        scratch_root: folder under which this instance makes its own scratch folder (created on
            first use, removed by :meth:`close` and at interpreter exit). On a Spark cluster it must
            be the same path on the driver and on every executor (a shared volume).
    """

    def __init__(self, remote: Storage, scratch_root: Path) -> None:
        self.remote = remote
        self.scratch_root = Path(scratch_root)
        self._local: LocalStorage | None = None
        self._scratch: Path | None = None
        atexit.register(self.close)

    @property
    def local(self) -> LocalStorage:
        if self._local is None:
            self.scratch_root.mkdir(parents=True, exist_ok=True)
            self._scratch = Path(tempfile.mkdtemp(prefix="stage-", dir=self.scratch_root))
            self._local = LocalStorage(self._scratch)
        return self._local

    def _has_local(self, store: str, key: str) -> bool:
        return self._local is not None and self._local.exists(store, key)

    def spark_path(self, store: str, key: str) -> str:
        path = Path(self.local.spark_path(store, key))
        if not path.exists():
            keys = self.remote.list(store, key)
            for k in keys:
                self.remote.get_file(store, k, Path(self.local.spark_path(store, k)))
            if keys:
                log.info("storage: staged %d object(s) of %s/%s to local disk", len(keys), store, key)
        return str(path)

    def exists(self, store: str, key: str) -> bool:
        return self._has_local(store, key) or self.remote.exists(store, key)

    def read_bytes(self, store: str, key: str) -> bytes:
        if self._has_local(store, key):
            return self.local.read_bytes(store, key)
        return self.remote.read_bytes(store, key)

    def write_bytes(self, store: str, key: str, data: bytes) -> None:
        self.remote.write_bytes(store, key, data)
        if self._local is not None and Path(self._local.spark_path(store, key)).parent.exists():
            self._local.write_bytes(store, key, data)

    def put_file(self, store: str, key: str, src: Path, *, write_once: bool = False) -> None:
        self.remote.put_file(store, key, src, write_once=write_once)

    def get_file(self, store: str, key: str, dest: Path) -> None:
        if self._has_local(store, key) and Path(self.local.spark_path(store, key)).is_file():
            self.local.get_file(store, key, dest)
        else:
            self.remote.get_file(store, key, dest)

    def list(self, store: str, prefix: str) -> list[str]:
        local = [k for k in self._local.list(store, prefix) if not k.endswith(".crc")] if self._local is not None else []
        return sorted(set(local) | set(self.remote.list(store, prefix)))

    def delete_prefix(self, store: str, prefix: str) -> None:
        if self._local is not None:
            self._local.delete_prefix(store, prefix)
        self.remote.delete_prefix(store, prefix)

    def move_prefix(self, store: str, src: str, dest: str) -> None:
        if self.remote.exists(store, dest) or self._has_local(store, dest):
            raise ConfigError(f"destination exists: {store}/{dest}")
        local_keys = [k for k in self._local.list(store, src) if not k.endswith(".crc")] if self._has_local(store, src) else []
        for k in local_keys:
            self.remote.put_file(store, dest + k[len(src):], Path(self._local.spark_path(store, k)))
        uploaded = set(local_keys)
        remote_only = [k for k in self.remote.list(store, src) if k not in uploaded]
        if remote_only:
            # Objects written straight to the remote attempt (small documents): move them server-side.
            for k in remote_only:
                self.remote.move_prefix(store, k, dest + k[len(src):])
        self.remote.delete_prefix(store, src)
        if local_keys:
            self._local.move_prefix(store, src, dest)
        log.info("storage: committed %s/%s → %s (%d uploaded, %d moved)", store, src, dest, len(local_keys), len(remote_only))

    def close(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None
            self._local = None


def scratch_root(config: Config) -> Path:
    """Where staged stages keep local copies: ``CASEFILE_SCRATCH`` or ``<home>/scratch``."""
    return Path(os.environ.get("CASEFILE_SCRATCH") or Path(config.home) / "scratch")
