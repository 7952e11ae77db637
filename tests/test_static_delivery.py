"""How pages and static files travel: compressed when the browser accepts it, static
files named by their content and cached for a year, the manifest at a stable URL."""

import gzip
import hashlib
import io
import json
import re

from PIL import Image

from tests.helpers import ROOT, open_tab

STATIC = ROOT / "static"


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_name_static_files_by_their_content(phone, cafe):
    html = phone.get(f"/t/{cafe.table.code}").get_data(as_text=True)
    urls = static_urls(html)
    assert any("css/app.css" in url for url in urls)
    for url in urls:
        path, version = re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]+)", url).groups()
        assert version == hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def test_a_versioned_static_file_is_cached_for_a_year(phone, cafe):
    html = phone.get(f"/t/{cafe.table.code}").get_data(as_text=True)
    css = next(url for url in static_urls(html) if "app.css" in url)
    response = phone.get(css)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()


def test_an_unversioned_or_stale_static_url_is_not_cached_for_long(phone):
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        response = phone.get(url)
        assert "immutable" not in response.headers.get("Cache-Control", "")
        response.close()


def test_text_is_gzipped_for_browsers_that_accept_it(phone, cafe):
    public_id = open_tab(phone, cafe.table, "Ana")
    plain = phone.get(f"/tab/{public_id}")
    packed = phone.get(f"/tab/{public_id}", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) * 0.6
    # Same page apart from the per-response CSRF token.
    strip = re.compile(r'content="[^"]+"|value="[^"]+"')
    assert strip.sub("", gzip.decompress(packed.data).decode()) == strip.sub(
        "", plain.get_data(as_text=True)
    )

    css = phone.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(css.data) == (STATIC / "css" / "app.css").read_bytes()
    assert css.headers["ETag"].startswith('W/"')  # not the uncompressed file's strong tag


def test_small_answers_and_images_are_sent_as_they_are(phone):
    health = phone.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in health.headers
    icon = phone.get("/static/icons/icon-512.png", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in icon.headers
    icon.close()


def test_the_manifest_describes_an_installable_app(phone):
    response = phone.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["description"]
    css = (STATIC / "css" / "app.css").read_text()
    assert f"--brand: {manifest['theme_color']};" in css
    assert f"--bg: {manifest['background_color']};" in css
    sizes = {}
    for icon in manifest["icons"]:
        if icon["type"] != "image/png":
            continue
        with Image.open(io.BytesIO(phone.get(icon["src"]).data)) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"], icon["src"]
        sizes.setdefault(icon.get("purpose", "any"), set()).add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes["any"]
    assert "512x512" in sizes["maskable"]


def test_the_start_page_sends_a_phone_back_to_its_open_tab(phone, new_client, cafe):
    stranger = new_client().get("/")
    assert stranger.status_code == 200
    assert "Scan the code" in stranger.get_data(as_text=True)
    public_id = open_tab(phone, cafe.table, "Ana")
    response = phone.get("/")
    assert response.status_code == 302
    assert response.location.endswith(f"/tab/{public_id}")
