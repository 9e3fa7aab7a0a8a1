"""The storage interface against both backends: the local folder and the real object store of the
deployment, SeaweedFS's S3 gateway (``weed mini``, started on loopback by the session fixture),
reached with the real ``minio`` client. Plus what only the object store can do wrong: multipart
objects larger than 64 MiB, a connection dropped mid-transfer, a 503, and bytes corrupted on the
way or at rest (a fault-injecting TCP proxy in front of the same real server; no mock), and what
only the server can guarantee: object-lock retention refusing to delete or replace an original."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tracemalloc
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error
from minio.retention import GOVERNANCE, Retention
from s3support import TEST_ACCESS_KEY, TEST_SECRET_KEY, unique_buckets, write_random_file

from jobs.common.errors import ConfigError, EvidenceIntegrityError, StorageError, TransferIntegrityError
from jobs.common.storage import LocalStorage, MinioStorage, StagedStorage, file_digests, minio_credentials

MiB = 1 << 20


def make_minio(endpoint: str, **kwargs) -> MinioStorage:
    storage = MinioStorage(endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=unique_buckets(), **kwargs)
    storage.ensure_buckets()
    return storage


@pytest.fixture(params=["local", "minio"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    return make_minio(request.getfixturevalue("s3_server").endpoint, backoff=0.05)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(MiB):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------- the interface, both backends


def test_bytes_round_trip_exists_and_list(storage):
    storage.write_bytes("work", "C1/S1/r/intake/_COMMITTED.json", b'{"a": 1}\n')
    storage.write_bytes("work", "C1/S1/r/intake/data/x/part-0.parquet", b"PAR1")
    storage.write_bytes("work", "C1/S10/other.json", b"{}")
    assert storage.read_bytes("work", "C1/S1/r/intake/_COMMITTED.json") == b'{"a": 1}\n'
    assert storage.exists("work", "C1/S1/r/intake/_COMMITTED.json")
    assert storage.exists("work", "C1/S1/r/intake")  # a prefix with objects below it
    assert not storage.exists("work", "C1/S1/r/normalize/_COMMITTED.json")
    # a prefix is a folder: C1/S1 does not include C1/S10
    assert storage.list("work", "C1/S1") == ["C1/S1/r/intake/_COMMITTED.json", "C1/S1/r/intake/data/x/part-0.parquet"]
    assert storage.list("work", "C1/S1/r/intake/_COMMITTED.json") == ["C1/S1/r/intake/_COMMITTED.json"]
    assert storage.list("work", "C9") == []
    storage.write_bytes("work", "C1/S1/r/intake/_COMMITTED.json", b"replaced")
    assert storage.read_bytes("work", "C1/S1/r/intake/_COMMITTED.json") == b"replaced"


def test_move_and_delete_prefix(storage):
    for name in ("a.parquet", "sub/b.parquet"):
        storage.write_bytes("work", f"C/S/r/st/_attempt/{name}", name.encode())
    storage.move_prefix("work", "C/S/r/st/_attempt", "C/S/r/st/data")
    assert storage.list("work", "C/S/r/st") == ["C/S/r/st/data/a.parquet", "C/S/r/st/data/sub/b.parquet"]
    assert storage.read_bytes("work", "C/S/r/st/data/sub/b.parquet") == b"sub/b.parquet"
    storage.write_bytes("work", "C/S/r/st/_attempt/a.parquet", b"x")
    with pytest.raises(ConfigError, match="destination exists"):
        storage.move_prefix("work", "C/S/r/st/_attempt", "C/S/r/st/data")
    storage.delete_prefix("work", "C/S/r/st")
    assert storage.list("work", "C/S") == [] and not storage.exists("work", "C/S/r/st")
    storage.delete_prefix("work", "C/S/nothing-here")  # deleting nothing is not an error


def test_put_get_file_and_write_once(storage, tmp_path):
    src = write_random_file(tmp_path / "item.bin", 3 * MiB + 17, seed=1)
    storage.put_file("evidence", "C/S/phones/item.bin", src, write_once=True)
    with pytest.raises(EvidenceIntegrityError, match="write-once object already exists: evidence/C/S/phones/item.bin"):
        storage.put_file("evidence", "C/S/phones/item.bin", src, write_once=True)
    dest = tmp_path / "back" / "item.bin"
    storage.get_file("evidence", "C/S/phones/item.bin", dest)
    assert sha256(dest) == sha256(src)
    with pytest.raises(FileNotFoundError):
        storage.get_file("evidence", "C/S/phones/missing.bin", tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        storage.read_bytes("work", "C/S/none.json")


def test_keys_cannot_escape_a_store(storage):
    if isinstance(storage, LocalStorage):
        with pytest.raises(ConfigError):
            storage.read_bytes("work", "../evidence/x")
    with pytest.raises(ConfigError):
        storage.exists("elsewhere", "x")


# --------------------------------------------------------------------------- object store specifics


@pytest.mark.slow
def test_multipart_object_larger_than_64_mib_streams(s3_server, tmp_path):
    """A 70 MiB object goes up in 16 MiB parts (ETag ``-5``) and comes back byte-identical, and
    neither direction holds the object in memory (Python allocation peak far below its size)."""
    storage = make_minio(s3_server.endpoint)
    src = write_random_file(tmp_path / "big.bin", 70 * MiB + 123, seed=2)
    expected = file_digests(src, storage.part_size)
    tracemalloc.start()
    try:
        storage.put_file("evidence", "C/S/big.bin", src, write_once=True)
        _, up_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        storage.get_file("evidence", "C/S/big.bin", tmp_path / "big.back")
        _, down_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    st = storage.client.stat_object(storage.buckets["evidence"], "C/S/big.bin")
    assert st.etag.strip('"') == expected["etag"] and expected["etag"].endswith("-5")
    assert st.size == 70 * MiB + 123
    assert sha256(tmp_path / "big.back") == expected["sha256"]
    # one 16 MiB part in flight (plus its request copy); a download holds one 1 MiB chunk
    assert up_peak < 48 * MiB, f"upload peak {up_peak / MiB:.1f} MiB"
    assert down_peak < 8 * MiB, f"download peak {down_peak / MiB:.1f} MiB"


def test_evidence_bucket_has_object_lock_and_originals_are_retained(s3_server, tmp_path):
    storage = make_minio(s3_server.endpoint, retention_days=30)
    assert storage.object_lock_enabled()
    src = write_random_file(tmp_path / "item.csv", 1000, seed=3)
    storage.put_file("evidence", "C/S/item.csv", src, write_once=True)
    st = storage.client.stat_object(storage.buckets["evidence"], "C/S/item.csv")
    assert st.metadata["x-amz-object-lock-mode"] == "COMPLIANCE"
    until = dt.datetime.fromisoformat(st.metadata["x-amz-object-lock-retain-until-date"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29, hours=23) < until - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30)
    assert storage.read_bytes("evidence", "C/S/item.csv") == src.read_bytes()


def test_the_server_itself_refuses_to_delete_or_replace_a_retained_original(s3_server, tmp_path):
    """Raw S3 calls, bypassing casefile's own write-once check: what the object-lock rules of the
    S3 API (COMPLIANCE mode) make the server refuse while an object version is retained."""
    storage = make_minio(s3_server.endpoint, retention_days=30)
    bucket = storage.buckets["evidence"]
    src = write_random_file(tmp_path / "item.csv", 1000, seed=3)
    storage.put_file("evidence", "C/S/item.csv", src, write_once=True)
    raw = Minio(s3_server.endpoint, access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY, secure=False)
    original = raw.stat_object(bucket, "C/S/item.csv").version_id
    assert original
    # deleting the retained version is refused, even with the governance bypass header
    with pytest.raises(S3Error) as err:
        raw.remove_object(bucket, "C/S/item.csv", version_id=original)
    assert err.value.code == "AccessDenied"
    with pytest.raises(S3Error) as err:
        raw._execute("DELETE", bucket, "C/S/item.csv", query_params={"versionId": original},
                     headers={"x-amz-bypass-governance-retention": "true"})
    assert err.value.code == "AccessDenied"
    # shortening a COMPLIANCE retention is refused
    soon = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=1)
    with pytest.raises(S3Error) as err:
        raw.set_object_retention(bucket, "C/S/item.csv", Retention(GOVERNANCE, soon), version_id=original)
    assert err.value.code == "AccessDenied"
    # a PUT on the same key cannot replace it: the bucket is versioned (object lock requires it),
    # so the PUT adds a new version and the original's bytes stay readable and retained
    other = raw.put_object(bucket, "C/S/item.csv", io.BytesIO(b"forged"), 6)
    assert other.version_id != original
    kept = raw.get_object(bucket, "C/S/item.csv", version_id=original)
    try:
        assert kept.read() == src.read_bytes()
    finally:
        kept.close()
        kept.release_conn()
    assert raw.stat_object(bucket, "C/S/item.csv", version_id=original).metadata["x-amz-object-lock-mode"] == "COMPLIANCE"
    with pytest.raises(S3Error) as err:
        raw.remove_object(bucket, "C/S/item.csv", version_id=original)
    assert err.value.code == "AccessDenied"


def test_evidence_bucket_default_retention_covers_uploads_by_any_client(s3_server, tmp_path):
    """The bucket's default rule (set by ensure_buckets) retains an object that a plain S3 client
    puts there without asking for retention; the server then refuses to delete that version."""
    storage = make_minio(s3_server.endpoint, retention_days=30)
    bucket = storage.buckets["evidence"]
    raw = Minio(s3_server.endpoint, access_key=TEST_ACCESS_KEY, secret_key=TEST_SECRET_KEY, secure=False)
    rule = raw.get_object_lock_config(bucket)
    assert (rule.mode, rule.duration, rule.duration_unit) == ("COMPLIANCE", 30, "Days")
    assert storage.ensure_default_retention() == ("COMPLIANCE", 30, "Days")  # a second set-up changes nothing
    put = raw.put_object(bucket, "C/S/READY", io.BytesIO(b"{}"), 2)
    st = raw.stat_object(bucket, "C/S/READY", version_id=put.version_id)
    assert st.metadata["x-amz-object-lock-mode"] == "COMPLIANCE"
    until = dt.datetime.fromisoformat(st.metadata["x-amz-object-lock-retain-until-date"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29, hours=23) < until - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=30, minutes=5)
    with pytest.raises(S3Error) as err:
        raw.remove_object(bucket, "C/S/READY", version_id=put.version_id)
    assert err.value.code == "AccessDenied"
    # without a retention setting the bucket gets no rule (object lock alone)
    plain = make_minio(s3_server.endpoint)
    assert plain.object_lock_enabled() and raw.get_object_lock_config(plain.buckets["evidence"]).mode is None


def test_download_survives_a_connection_dropped_mid_transfer(s3_server, faulty_proxy, tmp_path):
    direct = make_minio(s3_server.endpoint)
    src = write_random_file(tmp_path / "item.bin", 8 * MiB, seed=4)
    direct.put_file("work", "C/S/item.bin", src)
    proxy = faulty_proxy(cut_after=2 * MiB, direction="down")
    via = MinioStorage(proxy.endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=direct.buckets, backoff=0.05)
    via.get_file("work", "C/S/item.bin", tmp_path / "back.bin")
    assert proxy.cuts == 1 and proxy.connections >= 2  # it was cut, and a new connection finished it
    assert sha256(tmp_path / "back.bin") == sha256(src)


def test_upload_survives_a_connection_dropped_mid_transfer(s3_server, faulty_proxy, tmp_path):
    direct = make_minio(s3_server.endpoint)
    proxy = faulty_proxy(cut_after=3 * MiB, direction="up")
    via = MinioStorage(proxy.endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=direct.buckets, backoff=0.05)
    src = write_random_file(tmp_path / "item.bin", 20 * MiB, seed=5)  # two parts
    via.put_file("work", "C/S/item.bin", src)
    assert proxy.cuts == 1 and proxy.connections >= 2
    direct.get_file("work", "C/S/item.bin", tmp_path / "back.bin")
    assert sha256(tmp_path / "back.bin") == sha256(src)


def test_503_slow_down_is_retried_with_back_off(s3_server, faulty_proxy):
    direct = make_minio(s3_server.endpoint)
    direct.write_bytes("work", "C/S/doc.json", b"{}")
    proxy = faulty_proxy(answer_503=True, faulty_connections=2)
    via = MinioStorage(proxy.endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=direct.buckets, backoff=0.05, region="us-east-1")
    assert via.read_bytes("work", "C/S/doc.json") == b"{}"
    assert proxy.cuts == 2


def test_retries_back_off_exponentially_then_give_up(s3_server, faulty_proxy):
    """Every connection answers 503 SlowDown: 3 attempts, waits of 1 and 2 × the first delay (plus
    at most a quarter of it as jitter), then a StorageError naming the object."""
    proxy = faulty_proxy(answer_503=True, faulty_connections=10**6)
    via = MinioStorage(proxy.endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=unique_buckets(), retries=3,
                       backoff=0.5, region="us-east-1")
    waits: list[float] = []
    via._sleep = waits.append
    with pytest.raises(StorageError, match=r"stat work/C/S/doc.json: failed after 3 attempts \(ServerError\)"):
        via.read_bytes("work", "C/S/doc.json")
    assert len(waits) == 2
    for wait, base in zip(waits, (0.5, 1.0), strict=True):
        assert base <= wait <= base + 0.125, waits


def test_bytes_corrupted_in_transit_are_detected(s3_server, faulty_proxy, tmp_path):
    direct = make_minio(s3_server.endpoint)
    src = write_random_file(tmp_path / "item.bin", 8 * MiB, seed=6)
    direct.put_file("work", "C/S/item.bin", src)
    proxy = faulty_proxy(flip_at=4 * MiB)
    via = MinioStorage(proxy.endpoint, TEST_ACCESS_KEY, TEST_SECRET_KEY, buckets=direct.buckets, backoff=0.05)
    dest = tmp_path / "back.bin"
    with pytest.raises(TransferIntegrityError, match=r"download of work/C/S/item.bin is corrupt: sha256 [0-9a-f]{64}, recorded [0-9a-f]{64}"):
        via.get_file("work", "C/S/item.bin", dest)
    assert not dest.exists() and not list(tmp_path.glob(".back.bin.part-*"))


def test_object_corrupted_at_rest_is_detected(s3_server, tmp_path):
    storage = make_minio(s3_server.endpoint)
    storage.write_bytes("casefiles", "C/S/run/records.csv", b"record_id\n1\n")
    recorded = storage.client.stat_object(storage.buckets["casefiles"], "C/S/run/records.csv").metadata["x-amz-meta-casefile-sha256"]
    # someone replaces the bytes but keeps the recorded hash
    storage.client.put_object(storage.buckets["casefiles"], "C/S/run/records.csv", io.BytesIO(b"record_id\n2\n"), 12,
                              metadata={"x-amz-meta-casefile-sha256": recorded})
    with pytest.raises(TransferIntegrityError, match="casefiles/C/S/run/records.csv"):
        storage.read_bytes("casefiles", "C/S/run/records.csv")


def test_credentials_come_only_from_the_environment():
    assert minio_credentials({"MINIO_ACCESS_KEY": "a", "MINIO_SECRET_KEY": "b"}) == {"access_key": "a", "secret_key": "b"}
    conn = json.dumps({"conn_type": "aws", "login": "u", "password": "p", "host": "minio", "port": 9000})
    assert minio_credentials({"AIRFLOW_CONN_CASEFILE_MINIO": conn}) == {"access_key": "u", "secret_key": "p", "endpoint": "minio:9000", "secure": "false"}
    assert minio_credentials({"AIRFLOW_CONN_CASEFILE_MINIO": "aws://u%2Fx:p%40y@minio:9000/https"})["secret_key"] == "p@y"
    with pytest.raises(ConfigError) as err:
        minio_credentials({"MINIO_ACCESS_KEY": "only-half"})
    assert "only-half" not in str(err.value)


# --------------------------------------------------------------------------- staging through local disk


def test_staged_storage_downloads_inputs_and_uploads_on_commit(s3_server, tmp_path):
    remote = make_minio(s3_server.endpoint)
    remote.write_bytes("work", "C/S/r/intake/data/raw_records/part-0.parquet", b"PAR1-input")
    remote.write_bytes("work", "C/S/r/intake/_COMMITTED.json", b"{}")
    staged = StagedStorage(remote, tmp_path / "scratch")
    # a committed input: downloaded (verified) into scratch on first use
    local_in = Path(staged.spark_path("work", "C/S/r/intake/data/raw_records"))
    assert (local_in / "part-0.parquet").read_bytes() == b"PAR1-input"
    assert str(local_in).startswith(str(tmp_path / "scratch"))
    # an output: Spark writes locally (with Hadoop's .crc side files), a document is written through
    out = Path(staged.spark_path("work", "C/S/r/normalize/_attempt/records"))
    out.mkdir(parents=True)
    (out / "part-0.parquet").write_bytes(b"PAR1-output")
    (out / ".part-0.parquet.crc").write_bytes(b"crc")
    staged.write_bytes("work", "C/S/r/normalize/_attempt/validation/records.json", b'{"success": true}')
    assert remote.exists("work", "C/S/r/normalize/_attempt/validation/records.json")
    assert not remote.exists("work", "C/S/r/normalize/_attempt/records")  # not uploaded before the commit
    staged.move_prefix("work", "C/S/r/normalize/_attempt", "C/S/r/normalize/data")
    assert remote.list("work", "C/S/r/normalize") == ["C/S/r/normalize/data/records/part-0.parquet",
                                                      "C/S/r/normalize/data/validation/records.json"]
    assert remote.read_bytes("work", "C/S/r/normalize/data/records/part-0.parquet") == b"PAR1-output"
    scratch = next((tmp_path / "scratch").iterdir())
    staged.close()
    assert not scratch.exists()
