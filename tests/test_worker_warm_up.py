"""A gunicorn worker is warmed before its first request: every page template compiled
(not on a customer's first tab page) and its start-up objects frozen out of the
garbage collector's full collections (web/warm.py)."""

import gc

from web.warm import warm_up


def test_a_warmed_worker_has_every_page_template_compiled_and_its_start_up_objects_frozen(app):
    environment = app.jinja_env
    pages = environment.list_templates(filter_func=lambda name: name.endswith(".html"))
    try:
        assert warm_up(app) == len(pages) > 50
        assert {name for _, name in environment.cache} >= set(pages)
        # The app, its mappers and its templates: far more than a request makes.
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()
