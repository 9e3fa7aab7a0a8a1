"""A page in a real headless browser: Debian's Chromium (``make system-deps`` installs it), no driver
library. Used by tests/e2e/test_report_browser.py and, as a script, to make the README's screenshots:

    .venv/bin/python tests/e2e/browser.py BUNDLE_DIR docs/screenshots

renders the bundle's ``summary.html`` in zh-CN and en (:func:`jobs.export.rerender.render_bundle_summary`,
no pipeline run) and writes ``summary-zh-CN.png`` and ``summary-en.png`` there.

What the page asks of the network is read from Chromium's own NetLog (``--log-net-log``): every
``URL_REQUEST_START_JOB`` whose network isolation key is the page's ``file://`` site is a request the
page made (Chromium's own background traffic, which flags cannot silence entirely, has another key).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = "chromium"

#: Headless, no sandbox (CI runs as root), no first-run/extension/sync/translate traffic.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
         "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,SpellCheck", "--no-pings",
         "--lang=zh-CN")


def chromium_path() -> str | None:
    """The Chromium executable on PATH, or ``None``."""
    return shutil.which(CHROMIUM)


def _run(page: Path, *args: str, netlog: Path | None = None) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
        if netlog:
            cmd.append(f"--log-net-log={netlog}")
        cmd.append(page.resolve().as_uri())
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium exited {proc.returncode} on {page}: {proc.stderr[-2000:]}")
    return proc


def dump_dom(page: Path, netlog: Path | None = None) -> str:
    """The DOM after Chromium has loaded and laid out ``page`` (``--dump-dom``), serialized as HTML."""
    return _run(page, "--dump-dom", netlog=netlog).stdout


def screenshot(page: Path, png: Path, *, width: int = 1200, height: int = 2400) -> None:
    """A PNG of ``page`` in a ``width`` × ``height`` CSS-pixel window (``--screenshot``)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, f"--screenshot={png.resolve()}", f"--window-size={width},{height}")
    if not png.is_file() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot of {page}")


def page_requests(netlog: Path) -> list[str]:
    """The URLs the page itself asked for (NetLog ``URL_REQUEST_START_JOB`` with the ``file://`` site)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [e["params"]["url"] for e in log["events"] if e["type"] == start and "url" in e.get("params", {})
            and str(e["params"].get("network_isolation_key", "")).startswith("file://")]


class DomText(HTMLParser):
    """The text of a DOM (``<style>`` left out) and a count of each element name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: dict[str, int] = {}
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self._skip += tag == "style"

    def handle_endtag(self, tag):
        self._skip -= tag == "style" and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def parse(dom: str) -> DomText:
    """:class:`DomText` of ``dom``."""
    p = DomText()
    p.feed(dom)
    p.close()
    return p


def main(argv: list[str]) -> int:
    from jobs.export.rerender import render_bundle_summary

    bundle, out = Path(argv[0]), Path(argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("zh-CN", "en"):
            page = Path(tmp) / f"summary-{lang}.html"
            page.write_text(render_bundle_summary(bundle, lang), encoding="utf-8")
            screenshot(page, out / f"summary-{lang}.png")
            print(out / f"summary-{lang}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
