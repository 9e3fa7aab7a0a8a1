"""The review page refuses requests without its token and listens on loopback only (issue 17)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from jobs.common.storage.local import LocalStorage
from jobs.review.decisions import DecisionLog, pair_target
from jobs.review.queue import ReviewQueue
from jobs.review.web import create_app, serve

TOKEN = "t0k3n-for-the-test"


@pytest.fixture
def app(tmp_path):
    queue = ReviewQueue(pairs=[{"target": pair_target("a1", "b1"), "record_id": "a1", "linked_record_id": "b1", "match_weight": 7.5, "why": ["band"]}],
                        records=[{"target": "r1", "record_id": "r1", "category": "tier_500", "why": ["sample"]}])
    log = DecisionLog(LocalStorage(tmp_path), "C1", "S1")
    return create_app(queue, log, TOKEN, case_id="C1", seizure_id="S1"), log


def test_token_required(app):
    flask_app, log = app
    c = flask_app.test_client()
    assert c.get("/").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    assert c.post("/decide", json={"kind": "record", "target": "r1", "decision": "untrue", "reviewer": "王"}).status_code == 403
    assert log.entries() == []
    page = c.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "人工复核" in page.get_data(as_text=True)  # Chinese by default
    ok = c.post("/decide", json={"kind": "record", "target": "r1", "decision": "untrue", "reviewer": "王"}, headers={"X-Review-Token": TOKEN})
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "done": 1}
    assert [(e.kind, e.target, e.decision, e.reviewer) for e in log.entries()] == [("record", "r1", "untrue", "王")]
    # Not in the queue, or a decision of the other kind: refused, nothing written.
    assert c.post("/decide", json={"kind": "record", "target": "zz", "decision": "untrue", "reviewer": "王"}, headers={"X-Review-Token": TOKEN}).status_code == 400
    assert c.post("/decide", json={"kind": "record", "target": "r1", "decision": "same", "reviewer": "王"}, headers={"X-Review-Token": TOKEN}).status_code == 400
    assert len(log.entries()) == 1


def test_non_loopback_peer_refused_even_with_token(app):
    flask_app, _ = app
    c = flask_app.test_client()
    assert c.get(f"/?token={TOKEN}", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 403


def test_server_listens_on_loopback_only(app):
    flask_app, _ = app
    server = serve(flask_app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert refused.value.code == 403
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={TOKEN}", timeout=10) as r:
            assert r.status == 200
        # No other address of this machine reaches the port (a socket bound to 127.0.0.1 only).
        import socket

        others = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1", "127.0.1.1"}
        for addr in others:
            with pytest.raises(OSError):
                socket.create_connection((addr, port), timeout=3).close()
    finally:
        server.shutdown()
        server.server_close()
