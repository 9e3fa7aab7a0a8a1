"""Object storage behind one interface: a local folder (embedded default) or MinIO/S3.

Only this package touches storage. Stores are ``evidence`` (originals, write-once), ``work``
(stage outputs) and ``casefiles`` (published bundles); keys are ``/``-separated and behave like
paths in a folder tree (``list``/``delete_prefix``/``move_prefix`` act on a key and everything
below ``key/``).

Modules:

- :mod:`~jobs.common.storage.base`: the :class:`Storage` interface.
- :mod:`~jobs.common.storage.local`: :class:`LocalStorage`, every store is a folder
  ``<CASEFILE_HOME>/<store>/``.
- :mod:`~jobs.common.storage.minio`: :class:`MinioStorage`, every store is a bucket on an
  S3-compatible server, reached with the ``minio`` SDK. Large objects go up and down as multipart
  streams; transient errors are retried with exponential back-off; every transfer is checked
  against a hash (an upload against the server's ETag, a download against the SHA-256 recorded in
  the object's metadata) and a mismatch raises :class:`~jobs.common.errors.TransferIntegrityError`
  naming the object. Also :func:`minio_credentials`, :func:`file_digests`, :func:`minio_storage`.
- :mod:`~jobs.common.storage.staged`: :class:`StagedStorage`, what stages get when the store is
  MinIO. Spark reads and writes local paths in a scratch folder: committed inputs are downloaded
  (and verified) on first use, outputs are written locally and uploaded when the stage commits
  (``move_prefix``); markers and small documents go to the object store at once. On a cluster the
  scratch folder must be visible at the same path to the driver and the executors (one host, or a
  shared volume); where the cluster has the S3A connector, Spark could read and write ``s3a://``
  directly instead (README, deployment).

Credentials come only from the environment: ``MINIO_ACCESS_KEY``/``MINIO_SECRET_KEY``, or the
Airflow connection ``casefile_minio`` given as ``AIRFLOW_CONN_CASEFILE_MINIO`` (JSON or URI). They
are never logged, written to a file, or part of the configuration.

Light at import time (DAG files import it at parse time): the ``minio`` SDK is imported only when
a :class:`MinioStorage` is used.
"""

from __future__ import annotations

from pathlib import Path

from jobs.common.config import Config
from jobs.common.errors import ConfigError
from jobs.common.storage.base import STORES, Storage
from jobs.common.storage.local import LocalStorage
from jobs.common.storage.minio import MinioStorage, file_digests, minio_credentials, minio_storage
from jobs.common.storage.staged import StagedStorage, scratch_root

__all__ = [
    "STORES", "LocalStorage", "MinioStorage", "StagedStorage", "Storage", "file_digests", "get_storage",
    "minio_credentials", "minio_storage", "scratch_root",
]


def get_storage(config: Config) -> Storage:
    """The storage backend the configuration selects.

    ``local``: :class:`LocalStorage` under ``config.home``. ``minio``: :class:`MinioStorage` seen
    through :class:`StagedStorage` (Spark works on local paths, see the module docstring).

    Raises:
        ConfigError: unknown backend, or MinIO settings/credentials missing.
    """
    if config.storage_backend == "local":
        return LocalStorage(Path(config.home))
    if config.storage_backend == "minio":
        return StagedStorage(minio_storage(config), scratch_root(config))
    raise ConfigError(f"storage backend {config.storage_backend!r} is not available in this build")
