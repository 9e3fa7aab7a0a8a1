"""The local review page (issue 17): Flask + Jinja2, loopback only, a one-time token.

The server binds ``127.0.0.1`` (never another address: :data:`HOST`); every request must carry the
token (``?token=`` or the ``X-Review-Token`` header, compared in constant time), else 403, and a
request from a non-loopback peer is refused too. The page loads nothing from the network (its
script is inline). Every value is HTML-escaped (autoescape on) and shown through
:func:`jobs.review.rawline.display_text` (control and bidi characters made visible). Field names,
comparison levels and decisions are shown in the page's language (:class:`jobs.review.words.Words`:
姓名, 完全一致, 同一人 in zh-CN). Decisions go to the :class:`jobs.review.decisions.DecisionLog`; the record values
shown on the page are never logged.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobs.common.errors import CasefileError
from jobs.review.decisions import DECISIONS, DecisionLog, latest_decisions
from jobs.review.queue import ReviewQueue
from jobs.review.rawline import display_text
from jobs.review.words import Words

HOST = "127.0.0.1"
_LOOPBACK = ("127.0.0.1", "::1")


def new_token() -> str:
    """A one-time token (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


def create_app(queue: ReviewQueue, log: DecisionLog, token: str, *, case_id: str, seizure_id: str, language: str = "zh-CN",
               recompute: Callable[[], dict[str, Any]] | None = None):
    """The Flask app of the review page.

    Routes: ``GET /`` the page; ``POST /decide`` JSON ``kind``, ``target``, ``decision``, ``reviewer``,
    ``reason``, ``why`` → ``{"ok", "done"}``; ``POST /recompute`` → what ``recompute()`` returns.
    Errors: 403 without the token or from a non-loopback peer; 400 for a decision the log refuses.
    """
    from flask import Flask, abort, jsonify, render_template, request

    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    # Flask autoescapes only templates named .html/.htm/.xml/.svg; ours is .html.j2, so turn it on for
    # every template: a seized value such as <script> is shown as text, never run.
    app.jinja_env.autoescape = True
    app.jinja_env.filters["shown"] = display_text
    words = Words(language)
    t = words.page()
    decision_words = {code: words.decision(code) for codes in DECISIONS.values() for code in codes}
    targets = {("pair", p["target"]) for p in queue.pairs} | {("record", r["target"]) for r in queue.records}

    @app.before_request
    def _guard():
        given = request.args.get("token") or request.headers.get("X-Review-Token") or ""
        if request.remote_addr not in _LOOPBACK or not hmac.compare_digest(given.encode(), token.encode()):
            abort(403)

    def _done() -> int:
        return sum(1 for k in latest_decisions(log.entries()) if k in targets)

    @app.get("/")
    def page():
        latest = latest_decisions(log.entries())
        pairs = [dict(p, decision=getattr(latest.get(("pair", p["target"])), "decision", "")) for p in queue.pairs]
        records = [dict(r, decision=getattr(latest.get(("record", r["target"])), "decision", "")) for r in queue.records]
        return render_template("review.html.j2", t=t, w=words, decision_words=decision_words, lang=language, token=token, case_id=case_id, seizure_id=seizure_id,
                               pairs=pairs, records=records, done=_done(), total=len(targets))

    @app.post("/decide")
    def decide():
        body = request.get_json(silent=True) or {}
        key = (str(body.get("kind", "")), str(body.get("target", "")))
        if key not in targets:
            return jsonify(ok=False, error="not in the review queue"), 400
        try:
            log.append(reviewer=str(body.get("reviewer", "")), kind=key[0], target=key[1], decision=str(body.get("decision", "")),
                       reason=str(body.get("reason", "")), why=str(body.get("why", "")))
        except CasefileError as exc:
            return jsonify(ok=False, error=str(exc)), 400
        return jsonify(ok=True, done=_done())

    @app.post("/recompute")
    def do_recompute():
        if recompute is None:
            return jsonify(ok=False, error="recompute is not available"), 400
        return jsonify(recompute())

    return app


def serve(app, port: int = 0):
    """A werkzeug server for ``app`` on :data:`HOST` only (``port`` 0: a free port); call ``serve_forever()``."""
    from werkzeug.serving import make_server

    return make_server(HOST, port, app, threaded=True)
