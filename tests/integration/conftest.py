"""Fixtures of the integration tier (helpers in ``s3support.py``): the real object store and
PostgreSQL, each started once per session on loopback by the tests themselves."""

from __future__ import annotations

import pytest
from s3support import FaultyProxy, PostgresServer, SeaweedServer


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """SeaweedFS (``weed mini``) on loopback for the whole session; stopped at its end."""
    server = SeaweedServer(tmp_path_factory.mktemp("seaweedfs"))
    print(f"\nSeaweedFS S3 gateway ready on {server.endpoint} in {server.started_in:.2f}s")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """PostgreSQL (Debian's packages, as the ``postgres`` user) on loopback; stopped and deleted at
    the end of the session. Only the deployment test asks for it."""
    server = PostgresServer()
    print(f"\nPostgreSQL ready on 127.0.0.1:{server.port} in {server.started_in:.2f}s")
    yield server
    server.stop()


@pytest.fixture
def faulty_proxy(s3_server):
    """Factory of :class:`FaultyProxy` in front of :func:`s3_server`, closed after the test."""
    proxies: list[FaultyProxy] = []

    def make(**kwargs) -> FaultyProxy:
        proxy = FaultyProxy(s3_server.port, **kwargs)
        proxies.append(proxy)
        return proxy

    yield make
    for p in proxies:
        p.close()
