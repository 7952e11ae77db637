"""What makes Tabby an app a phone can keep: the web app manifest and the page an
installed Tabby opens on."""

from flask import Blueprint, current_app, redirect, render_template, send_from_directory, url_for
from sqlalchemy import select

from blueprints.customer import phone_id
from extensions import db
from models import Tab

bp = Blueprint("pwa", __name__)


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
