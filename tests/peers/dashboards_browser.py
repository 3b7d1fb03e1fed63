"""Drives Debian's headless Chromium (through Playwright) over Settle's
dashboards and prints what it saw as JSON, for tests/dashboards_browser.rs.

Usage: dashboards_browser.py SPEC.json
SPEC: {"base": "http://127.0.0.1:PORT", "out": DIR, "chromium": PATH,
       "dashboards": [{"name": ..., "filter": NAME, "value": VALUE}],
       "refresh_url": URL or null}

For each dashboard: load it, record console messages, page errors, failed
requests and any request that leaves 127.0.0.1; per panel its rows and
marks; a full-page screenshot (DIR/NAME.png); then pick VALUE in the
filter NAME, press Apply and record the panels again (DIR/NAME-filtered.png);
then download the first panel's CSV through its link. With refresh_url, count
how often that page loads itself in 3.5 s.
"""

import json
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]

PANELS_JS = """() => [...document.querySelectorAll('section.panel')].map(p => ({
  title: p.querySelector('h2').firstChild.textContent,
  rows: Number(p.dataset.rows),
  marks: p.querySelectorAll('rect.bar, circle.point').length,
  lines: p.querySelectorAll('polyline.series').length,
  charts: p.querySelectorAll('svg.chart').length,
  table_rows: p.querySelectorAll('tbody tr').length,
  number: p.querySelector('.number .big') ? p.querySelector('.number .big').textContent : null,
  alert_markers: [...p.querySelectorAll('g.alert-marker')].map(g => g.dataset.change),
  error: p.querySelector('.error') ? p.querySelector('.error').textContent : null,
  fingerprint: p.innerHTML.length + ':' + [...p.querySelectorAll('title')].map(t => t.textContent).join('|').length,
  visible_width: p.getBoundingClientRect().width,
}))"""


def watch(page, log):
    page.on("console", lambda m: log["console"].append({"type": m.type, "text": m.text}))
    page.on("pageerror", lambda e: log["page_errors"].append(str(e)))
    page.on("requestfailed", lambda r: log["failed"].append(r.url))

    def request(r):
        host = urlparse(r.url).hostname
        if r.url.startswith("http") and host not in ("127.0.0.1", "localhost"):
            log["outside"].append(r.url)

    page.on("request", request)


def main():
    spec = json.load(open(sys.argv[1]))
    out = {"dashboards": [], "refresh_loads": None}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=spec["chromium"], args=ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        for d in spec["dashboards"]:
            page = ctx.new_page()
            log = {"name": d["name"], "console": [], "page_errors": [], "failed": [], "outside": []}
            watch(page, log)
            response = page.goto(f"{spec['base']}/dashboards/{d['name']}", wait_until="load")
            log["status"] = response.status
            log["title"] = page.title()
            log["panels"] = page.evaluate(PANELS_JS)
            log["csp"] = response.headers.get("content-security-policy")
            page.screenshot(path=f"{spec['out']}/{d['name']}.png", full_page=True)
            options = page.eval_on_selector_all(
                f"select[name={d['filter']}] option", "os => os.map(o => o.value)"
            )
            log["filter_options"] = options
            page.select_option(f"select[name={d['filter']}]", d["value"])
            with page.expect_navigation(wait_until="load"):
                page.click("form.controls button[type=submit]")
            log["filtered_url"] = page.url
            log["filtered_panels"] = page.evaluate(PANELS_JS)
            log["selected"] = page.eval_on_selector(
                f"select[name={d['filter']}]", "s => s.value"
            )
            page.screenshot(path=f"{spec['out']}/{d['name']}-filtered.png", full_page=True)
            with page.expect_download() as dl:
                page.click("section.panel a.csv >> nth=0")
            download = dl.value
            path = f"{spec['out']}/{download.suggested_filename}"
            download.save_as(path)
            log["csv_name"] = download.suggested_filename
            log["csv"] = open(path, encoding="utf-8").read()
            page.close()
            out["dashboards"].append(log)
        if spec.get("refresh_url"):
            page = ctx.new_page()
            loads = []
            page.on("load", lambda: loads.append(1))
            page.goto(spec["refresh_url"], wait_until="load")
            page.wait_for_timeout(3500)
            out["refresh_loads"] = len(loads)
            page.close()
        browser.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
