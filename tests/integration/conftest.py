"""Fixtures of the integration tier (helpers in ``s3support.py``)."""

from __future__ import annotations

import pytest
from s3support import FaultyProxy, S3Server


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3-compatible server on loopback, for the whole session."""
    server = S3Server()
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
