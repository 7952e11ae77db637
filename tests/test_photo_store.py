"""Where photos are kept is a setting: the instance folder, a shared folder, or an
S3-compatible bucket (tested against moto's S3 server over real HTTP). Whatever the
store, photos are served from our own address under their content hash."""

import io
import itertools
import sys
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from config import Config
from extensions import db
from models import MenuItem

BUCKETS = itertools.count(1)


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(app, s3_endpoint, monkeypatch, tmp_path):
    name = f"tabby-photos-{next(BUCKETS)}"
    settings = {
        "PHOTO_STORE": "s3",
        "PHOTO_DIR": str(tmp_path / "not-used"),
        "PHOTO_S3_BUCKET": name,
        "PHOTO_S3_PREFIX": "photos/",
        "PHOTO_S3_ENDPOINT": s3_endpoint,
        "PHOTO_S3_REGION": "us-east-1",
        "PHOTO_S3_ACCESS_KEY_ID": "test-key",
        "PHOTO_S3_SECRET_ACCESS_KEY": "test-secret",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=name)

    def objects():
        listed = client.list_objects_v2(Bucket=name).get("Contents", [])
        return sorted(entry["Key"] for entry in listed)

    yield objects
    app.extensions.pop("photo_store", None)


@pytest.fixture
def owner(cafe, login):
    return login(cafe.owner)


def image_bytes(color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 700), color).save(out, "PNG")
    return out.getvalue()


def upload(owner, item_id, data):
    response = owner.post_form(
        f"/admin/menu/items/{item_id}/photo",
        {"photo": (io.BytesIO(data), "cake.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)


def photo_key(in_app, item_id):
    return in_app(lambda: db.session.get(MenuItem, item_id).photo_key)


def test_a_photo_goes_to_the_bucket_and_is_served_from_our_address(
    owner, cafe, phone, in_app, bucket, tmp_path
):
    upload(owner, cafe.croissant.id, image_bytes())
    key = photo_key(in_app, cafe.croissant.id)
    assert bucket() == [f"photos/{key}.jpg", f"photos/{key}.webp"]
    assert not (tmp_path / "not-used").exists()

    served = phone.get(f"/photos/{key}.webp")
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.data)).size == (640, 480)
    again = phone.get(f"/photos/{key}.webp", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304
    assert phone.get(f"/photos/{key}.jpg").mimetype == "image/jpeg"
    assert phone.get("/photos/" + "0" * 32 + ".jpg").status_code == 404


def test_removing_the_last_use_of_a_photo_deletes_it_from_the_bucket(owner, cafe, in_app, bucket):
    upload(owner, cafe.croissant.id, image_bytes())
    upload(owner, cafe.flat_white.id, image_bytes())  # the same photo, one copy
    key = photo_key(in_app, cafe.croissant.id)
    assert len(bucket()) == 2
    owner.post_form(f"/admin/menu/items/{cafe.croissant.id}/photo/delete")
    assert len(bucket()) == 2  # the flat white still shows it
    owner.post_form(f"/admin/menu/items/{cafe.flat_white.id}/photo/delete")
    assert bucket() == []
    assert owner.get(f"/photos/{key}.jpg").status_code == 404


def test_a_refused_upload_writes_nothing_to_the_bucket(owner, cafe, in_app, bucket):
    response = owner.post_form(
        f"/admin/menu/items/{cafe.croissant.id}/photo",
        {"photo": (io.BytesIO(b"not an image"), "cake.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert bucket() == []


def test_a_bucket_that_does_not_answer_refuses_uploads_and_serves_503(
    owner, cafe, phone, in_app, bucket, app, monkeypatch
):
    upload(owner, cafe.croissant.id, image_bytes())
    key = photo_key(in_app, cafe.croissant.id)
    # Nothing listens on port 9 (discard) here: every call is refused at once.
    monkeypatch.setitem(app.config, "PHOTO_S3_ENDPOINT", "http://127.0.0.1:9")
    response = owner.post_form(
        f"/admin/menu/items/{cafe.flat_white.id}/photo",
        {"photo": (io.BytesIO(image_bytes((10, 200, 90))), "cake.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 503
    assert "Photos cannot be saved right now" in response.get_data(as_text=True)
    assert photo_key(in_app, cafe.flat_white.id) is None
    assert phone.get(f"/photos/{key}.jpg").status_code == 503
    # Taking the photo off the item still works; its files stay until they can go.
    removed = owner.post_form(f"/admin/menu/items/{cafe.croissant.id}/photo/delete")
    assert removed.status_code == 303
    assert photo_key(in_app, cafe.croissant.id) is None


def test_the_folder_store_needs_no_boto3(owner, cafe, phone, in_app, app, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)  # importing it would now fail
    monkeypatch.setitem(app.config, "PHOTO_STORE", "instance")
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    upload(owner, cafe.croissant.id, image_bytes())
    key = photo_key(in_app, cafe.croissant.id)
    assert phone.get(f"/photos/{key}.jpg").status_code == 200
    owner.post_form(f"/admin/menu/items/{cafe.croissant.id}/photo/delete")
    assert list((tmp_path / "photos").iterdir()) == []


def test_the_setting_reads_instance_path_or_s3(monkeypatch, tmp_path):
    for name in ("PHOTO_STORE", "PHOTO_DIR", "PHOTO_S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    default = Config(str(tmp_path))
    assert (default.PHOTO_STORE, Path(default.PHOTO_DIR)) == ("instance", tmp_path / "photos")
    monkeypatch.setenv("PHOTO_STORE", "path:/srv/shared/photos")
    config = Config(str(tmp_path))
    assert (config.PHOTO_STORE, config.PHOTO_DIR) == ("path", "/srv/shared/photos")
    monkeypatch.setenv("PHOTO_STORE", "s3")
    with pytest.raises(ValueError, match="PHOTO_S3_BUCKET"):
        Config(str(tmp_path))
    monkeypatch.setenv("PHOTO_S3_BUCKET", "cafe-photos")
    assert Config(str(tmp_path)).PHOTO_S3_PREFIX == "photos/"
    monkeypatch.setenv("PHOTO_STORE", "ftp")
    with pytest.raises(ValueError, match="instance, path:<folder> or s3"):
        Config(str(tmp_path))
