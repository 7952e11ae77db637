from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    from app import check_database

    if check_database():
        return jsonify(status="ok", db="ok")
    return jsonify(status="error", db="unreachable"), 503
