"""Item photos: a real image only, resized on the server to WebP and JPEG, served
under its content hash with a long cache, lazy-loaded on the menu."""

import io

import pytest
from PIL import Image

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
    assert f'src="/photos/{key}.jpg" width="640" height="480" loading="lazy"' in menu


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
