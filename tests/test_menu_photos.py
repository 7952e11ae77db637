"""Item photos: a real image only, resized on the server to WebP and JPEG, served
under its content hash with a long cache; on the menu the first screen's photo loads at
once and the others when scrolled near, with their size set so nothing jumps."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from extensions import db
from models import MenuItem
from tests.helpers import open_tab


@pytest.fixture
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


@pytest.fixture
def owner(cafe, login):
    return login(cafe.owner)


def image_bytes(fmt="PNG", size=(1200, 800), color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def upload(owner, item_id, data: bytes, name="cake.png", **extra):
    return owner.post_form(
        f"/admin/menu/items/{item_id}/photo",
        {"photo": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def photo_key(in_app, item_id):
    return in_app(lambda: db.session.get(MenuItem, item_id).photo_key)


def test_a_photo_is_resized_to_webp_and_jpeg_and_served_for_a_year(
    owner, cafe, phone, in_app, photo_dir
):
    response = upload(owner, cafe.croissant.id, image_bytes())
    assert response.status_code == 303, response.get_data(as_text=True)
    key = photo_key(in_app, cafe.croissant.id)
    assert sorted(p.name for p in photo_dir.iterdir()) == [f"{key}.jpg", f"{key}.webp"]

    served = phone.get(f"/photos/{key}.webp")
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (640, 480)
    assert phone.get(f"/photos/{key}.jpg").mimetype == "image/jpeg"

    public_id = open_tab(phone, cafe.table)
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert f'srcset="/photos/{key}.webp"' in menu
    assert f'src="/photos/{key}.jpg" width="640" height="480"' in menu


def test_the_same_photo_twice_has_the_same_address_and_a_new_one_a_new_address(
    owner, cafe, in_app, photo_dir
):
    upload(owner, cafe.croissant.id, image_bytes())
    first = photo_key(in_app, cafe.croissant.id)
    upload(owner, cafe.flat_white.id, image_bytes())
    assert photo_key(in_app, cafe.flat_white.id) == first
    upload(owner, cafe.croissant.id, image_bytes(color=(10, 10, 200)))
    assert photo_key(in_app, cafe.croissant.id) != first


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"this is not a picture at all", "cake.jpg"),
        (image_bytes("GIF"), "cake.gif"),
        (image_bytes("PNG")[:200], "cut.png"),
        (b"", "empty.png"),
    ],
)
def test_what_is_not_a_photo_we_take_is_refused_and_changes_nothing(
    owner, cafe, in_app, photo_dir, data, name
):
    response = upload(owner, cafe.croissant.id, data, name)
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in response.get_data(
        as_text=True
    ) or "Choose a photo" in response.get_data(as_text=True)
    assert photo_key(in_app, cafe.croissant.id) is None
    assert not photo_dir.exists() or not any(photo_dir.iterdir())


def test_a_photo_over_5_mb_is_refused(owner, cafe, in_app, photo_dir):
    response = upload(owner, cafe.croissant.id, b"\xff\xd8" + b"0" * (5 * 1024 * 1024 + 10))
    assert response.status_code in (400, 413)
    assert photo_key(in_app, cafe.croissant.id) is None


def test_an_upload_without_the_csrf_token_or_of_another_shops_item_is_refused(
    owner, cafe, other_cafe, in_app, photo_dir
):
    response = owner.post(
        f"/admin/menu/items/{cafe.croissant.id}/photo",
        data={"photo": (io.BytesIO(image_bytes()), "cake.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert upload(owner, other_cafe.croissant.id, image_bytes()).status_code == 404
    assert photo_key(in_app, cafe.croissant.id) is None


def test_removing_a_photo_takes_it_off_the_menu(owner, cafe, in_app, photo_dir):
    upload(owner, cafe.croissant.id, image_bytes())
    assert owner.post_form(f"/admin/menu/items/{cafe.croissant.id}/photo/delete").status_code == 303
    assert photo_key(in_app, cafe.croissant.id) is None


def test_only_photo_addresses_are_served(phone, photo_dir):
    for path in (
        "/photos/../secret_key.jpg",
        "/photos/abc.jpg",
        "/photos/" + "0" * 32 + ".png",
        "/photos/" + "0" * 32 + ".jpg",
    ):
        assert phone.get(path).status_code == 404


def test_the_first_photo_of_the_first_screen_loads_at_once_and_the_others_when_near(
    owner, cafe, phone, in_app, photo_dir
):
    """The flat white (the first item) is in a phone's first screen and usually its
    largest paint: fetched at once, first. The croissant's (the third item) waits until
    scrolled near."""
    upload(owner, cafe.flat_white.id, image_bytes(color=(90, 60, 30)))
    upload(owner, cafe.croissant.id, image_bytes())
    first, second = (photo_key(in_app, item.id) for item in (cafe.flat_white, cafe.croissant))
    public_id = open_tab(phone, cafe.table)
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert f'src="/photos/{first}.jpg" width="640" height="480" fetchpriority="high"' in menu
    assert f'src="/photos/{second}.jpg" width="640" height="480" loading="lazy"' in menu
    # On the item's own page its photo is the first thing under the name.
    sheet = phone.get(f"/tab/{public_id}/menu/{cafe.croissant.id}").get_data(as_text=True)
    assert f'src="/photos/{second}.jpg" width="640" height="480" fetchpriority="high"' in sheet
    assert 'loading="lazy"' not in sheet


def test_a_first_photo_further_down_the_menu_waits_like_the_rest(
    owner, cafe, phone, in_app, photo_dir
):
    # The croissant is the third item (after the banana bread): below the first screen.
    upload(owner, cafe.croissant.id, image_bytes())
    key = photo_key(in_app, cafe.croissant.id)
    public_id = open_tab(phone, cafe.table)
    menu = phone.get(f"/tab/{public_id}/menu").get_data(as_text=True)
    assert f'src="/photos/{key}.jpg" width="640" height="480" loading="lazy"' in menu
    assert "fetchpriority" not in menu


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Chrome fetches a lazy image once it is this close below the screen, at most.
LAZY_MARGIN = 2500
LAYOUT_SHIFT = """async () => {
    const shifts = [];
    const observer = new PerformanceObserver((list) => shifts.push(...list.getEntries()));
    observer.observe({type: "layout-shift", buffered: true});
    await new Promise((resolve) => setTimeout(resolve, 100));
    shifts.push(...observer.takeRecords());
    observer.disconnect();
    return shifts.reduce((sum, shift) => sum + shift.value, 0);
}"""
PHOTOS = """() => [...document.querySelectorAll("img.menu-photo")].map((img) => ({
    top: img.getBoundingClientRect().top + scrollY,
    loading: img.loading,
    loaded: img.complete && img.naturalWidth === 640,
    key: img.getAttribute("src").split("/").pop().split(".")[0],
}))"""


@pytest.mark.browser
@pytest.mark.screens
def test_on_a_phone_a_menu_of_photos_fetches_its_first_screen_and_nothing_jumps(
    browser, live_server, owner, cafe, create_item, in_app, photo_dir
):
    cakes = [create_item(cafe.shop, f"Cake {n}", 300 + n, category="Food") for n in range(11)]
    for n, item in enumerate([cafe.flat_white, *cakes]):
        assert upload(owner, item.id, image_bytes(color=(20 * n, 120, 160))).status_code == 303
    context = browser.new_context(base_url=live_server, **PHONE)
    try:
        page = context.new_page()
        page.goto(f"/t/{cafe.table.code}")
        page.get_by_role("button", name="Open my tab").tap()
        expect(page).to_have_url(re.compile(r"/tab/[A-Za-z0-9_-]+$"))
        fetched = []
        page.on("request", lambda request: fetched.append(request.url))
        page.goto(page.url + "/menu", wait_until="load")
        photos = page.evaluate(PHOTOS)
        assert len(photos) == 12
        first = photos[0]
        # The first screen's photo is no lazy image: the load waits for it, as for
        # the largest thing a phone paints there.
        assert first["top"] < PHONE["viewport"]["height"], photos
        assert first["loading"] != "lazy" and first["loaded"], photos
        # Photos screens away are not fetched until the customer scrolls near them.
        far = [p for p in photos if p["top"] > PHONE["viewport"]["height"] + LAZY_MARGIN]
        assert far, photos
        assert all(p["loading"] == "lazy" for p in photos[1:]), photos
        early = [p["key"] for p in far if any(p["key"] in url for url in fetched)]
        assert not early, fetched
        # Scrolled to the end, every photo has loaded into the room kept for it.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        expect(page.locator("img.menu-photo").last).to_have_js_property("complete", True)
        page.evaluate("window.scrollTo(0, 0)")
        assert page.evaluate(LAYOUT_SHIFT) == 0
    finally:
        context.close()
