"""Lighthouse (Google's own audit, from npm) on a customer's tab page in Debian's
Chromium, as a phone: accessibility and best practices score at least 95.
bench/lighthouse.sh runs all four categories on more pages for docs/PERFORMANCE.md."""

import json
import os
import subprocess

import pytest

from tests.helpers import CHROMIUM, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.screens]

LIGHTHOUSE = os.environ.get(
    "LIGHTHOUSE_PATH", str(ROOT / ".ci" / "node" / "node_modules" / ".bin" / "lighthouse")
)


def lighthouse(url: str, cookie: str, tmp_path) -> dict:
    if not os.path.exists(LIGHTHOUSE):
        message = f"lighthouse not found at {LIGHTHOUSE} (npm install lighthouse; see .ci/run)"
        if os.environ.get("TABBY_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    headers = tmp_path / "headers.json"
    headers.write_text(json.dumps({"Cookie": cookie}))
    report = tmp_path / "report.json"
    subprocess.run(
        [
            LIGHTHOUSE,
            url,
            "--only-categories=accessibility,best-practices",
            "--output=json",
            f"--output-path={report}",
            f"--extra-headers={headers}",
            "--chrome-flags=--headless=new --no-sandbox",
            "--quiet",
            # The test server polls every 500 ms, so the network never goes quiet;
            # the page is complete long before this.
            "--max-wait-for-load=6000",
            "--throttling-method=provided",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        check=True,
        timeout=180,
    )
    return json.loads(report.read_text())


def test_a_tab_page_scores_95_for_accessibility_and_best_practices(
    browser, live_server, screens, tmp_path
):
    url = f"{live_server}/tab/{screens.tabs['ana']}"
    result = lighthouse(url, f"tabby_phone={screens.phone_cookies['ana']}", tmp_path)
    assert result["finalDisplayedUrl"] == url  # the tab itself, not an error page
    scores = {key: category["score"] for key, category in result["categories"].items()}
    failing = [
        f"{audit['id']}: {audit['title']}"
        for audit in result["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit["scoreDisplayMode"] in ("binary", "numeric")
    ]
    assert scores["accessibility"] >= 0.95, failing
    assert scores["best-practices"] >= 0.95, failing
