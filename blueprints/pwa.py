"""What makes Tabby an app a phone can keep: the web app manifest and the page an
installed Tabby opens on."""

import hashlib
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from sqlalchemy import select

from blueprints.customer import phone_id
from extensions import db
from models import Tab

bp = Blueprint("pwa", __name__)

# What a phone keeps for offline use, fetched by the service worker when it installs:
# the files every tab page needs (the pages themselves are kept as they are visited).
APP_SHELL = (
    "css/app.css",
    "js/live.js",
    "js/tab.js",
    "js/offline.js",
    "js/push.js",
    "js/sw-register.js",
    "icon.svg",
)

_release_memo: dict[str, tuple[tuple, str]] = {}


def release() -> str:
    """The static files' release: a hash of every file under static/, so any changed
    file makes a new service worker and a new cache. STATIC_RELEASE pins it."""
    pinned = current_app.config.get("STATIC_RELEASE")
    if pinned:
        return str(pinned)
    root = Path(current_app.static_folder)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    stamp = tuple((str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    known = _release_memo.get(str(root))
    if known is None or known[0] != stamp:
        digest = hashlib.sha256()
        for path in files:
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        known = (stamp, digest.hexdigest()[:12])
        _release_memo[str(root)] = known
    return known[1]


def service_worker_script() -> str:
    """static/sw.js with this release and its app shell filled in."""
    source = Path(current_app.static_folder, "sw.js").read_text(encoding="utf-8")
    shell = " ".join(url_for("static", filename=name) for name in APP_SHELL)
    return source.replace("__TABBY_RELEASE__", release()).replace("__TABBY_SHELL__", shell)


@bp.get("/manifest.webmanifest")
def manifest():
    # At the site root rather than under /static, so its URL (the app's identity on
    # the phone) never changes; browsers revalidate it themselves.
    response = send_from_directory(
        current_app.static_folder, "manifest.webmanifest", mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/")
def start():
    """Where the installed app opens: the phone's open tab if it has one, else how to
    open one."""
    mine = phone_id()
    live = None
    if mine:
        # A phone's own tabs, whichever café they are at; open_phone_id is only set
        # while a tab is live.
        live = db.session.execute(
            select(Tab).where(Tab.open_phone_id == mine).order_by(Tab.opened_at.desc()).limit(1)
        ).scalar_one_or_none()
    if live is not None:
        return redirect(url_for("customer.tab", public_id=live.public_id))
    return render_template("customer/start.html")
