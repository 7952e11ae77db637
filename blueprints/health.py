from flask import Blueprint, jsonify
from sqlalchemy import text

from extensions import db

bp = Blueprint("health", __name__)


def database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False


@bp.get("/healthz")
def healthz():
    if database_answers():
        return jsonify(status="ok", db="ok")
    return jsonify(status="error", db="unreachable"), 503
