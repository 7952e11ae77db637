"""A worker made ready before its first request (gunicorn.conf.py's post_worker_init).

Two costs otherwise land on customers in the middle of a rush:

- Each worker compiles a template the first time a request draws it (tens of ms for
  the tab page and its includes), so the first tab page, menu and counter on each of
  a server's workers is slow. They are compiled here, once, before any request.
- Python's full garbage collection walks every object the process holds: modules,
  mappers, compiled templates, ~180,000 objects: 110-140 ms on a 2-core machine,
  paid by whichever request happens to allocate when it runs. `gc.freeze()` moves
  everything made up to now out of the collector's sight, so a full collection only
  walks what requests have made since.
"""

import gc

from flask import Flask
from sqlalchemy.orm import configure_mappers


def warm_up(app) -> int:
    """Compile every page template of `app` and freeze what the process holds;
    returns how many templates were compiled."""
    compiled = 0
    if isinstance(app, Flask):
        environment = app.jinja_env
        for name in environment.list_templates(filter_func=lambda n: n.endswith(".html")):
            environment.get_template(name)
            compiled += 1
    configure_mappers()
    gc.collect()
    gc.freeze()
    return compiled
