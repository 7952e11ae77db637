"""Item photos: checked to be a real image, cut to the menu's 4:3 and resized on the
server, stored under a hash of their content and served with a year-long cache.

Each photo is kept as WebP (what phones load) and JPEG (for browsers without WebP),
640×480: twice the width a 320 px wide menu shows, so sharp on a phone's screen.
Where they live is the PHOTO_STORE setting (services.photo_store): the instance
folder by default, a shared folder or an S3-compatible bucket for several hosts.
"""

import hashlib
import io
import logging
import re

from flask_babel import gettext
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from extensions import db
from models import MenuItem
from services import Refused
from services.photo_store import StoreUnavailable, photo_store

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
# Beyond this a picture is more likely a decompression bomb than a photo of a cake.
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
WIDTH, HEIGHT = 640, 480
KEY = re.compile(r"^[0-9a-f]{32}$")
FORMATS = {"webp": ("WEBP", "image/webp"), "jpg": ("JPEG", "image/jpeg")}


def file_name(key: str, extension: str) -> str | None:
    """The stored file of a photo address, or None for what can be no photo of ours."""
    if not KEY.match(key or "") or extension not in FORMATS:
        return None
    return f"{key}.{extension}"


def read(key: str, extension: str) -> bytes | None:
    name = file_name(key, extension)
    return None if name is None else photo_store().read(name)


class Unavailable(Refused):
    status_code = 503


def _refuse() -> Refused:
    return Refused(gettext("Upload a photo as a JPEG, PNG or WebP file of at most 5 MB."))


def prepare(data: bytes) -> dict[str, bytes]:
    """The photo in each stored format, or Refused if it is not an image we take."""
    if not data or len(data) > MAX_BYTES:
        raise _refuse()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise _refuse()
            if probe.width * probe.height > MAX_PIXELS:
                raise _refuse()
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
            image = ImageOps.fit(image, (WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse() from None
    result = {}
    for extension, (pil_format, _mimetype) in FORMATS.items():
        out = io.BytesIO()
        options = (
            {"quality": 75, "method": 6}
            if pil_format == "WEBP"
            else {"quality": 80, "optimize": True, "progressive": True}
        )
        image.save(out, pil_format, **options)
        result[extension] = out.getvalue()
    return result


def store(item: MenuItem, data: bytes) -> MenuItem:
    """Give `item` this photo. Files are named by their content, so writing one twice
    is harmless and a changed photo gets a new address (no stale cache)."""
    if item.is_archived:
        raise Refused(gettext("%(item)s is archived; restore it first.", item=item.name))
    files = prepare(data)
    key = hashlib.sha256(files["jpg"]).hexdigest()[:32]
    store = photo_store()
    try:
        for extension, content in files.items():
            name = f"{key}.{extension}"
            if not store.exists(name):
                store.write(name, content)
    except StoreUnavailable:
        log.exception("photo store unavailable while saving %s", key)
        raise Unavailable(
            gettext("Photos cannot be saved right now; try again in a minute.")
        ) from None
    item.photo_key = key
    db.session.flush()
    return item


def remove(item: MenuItem) -> MenuItem:
    """The item shows no photo. Its files go once the change is committed, unless
    another item shows the same photo."""
    key, item.photo_key = item.photo_key, None
    db.session.flush()
    if key and not in_use(key):
        store = photo_store()
        hooks = db.session.info.setdefault("after_commit", [])
        hooks.append(lambda: delete_files(store, key))
    return item


def in_use(key: str) -> bool:
    return (
        db.session.execute(select(MenuItem.id).where(MenuItem.photo_key == key).limit(1)).first()
        is not None
    )


def delete_files(store, key: str) -> None:
    """After the commit: a store that does not answer leaves the files (harmless,
    unreferenced) rather than failing a change already made."""
    try:
        for extension in FORMATS:
            store.delete(f"{key}.{extension}")
    except StoreUnavailable:
        log.warning("photo store unavailable; left the files of %s", key, exc_info=True)
