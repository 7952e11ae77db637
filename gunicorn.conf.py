"""gunicorn settings for production: `make serve`, or
`gunicorn -c gunicorn.conf.py "app:create_app()"`.

Every value comes from the environment, with defaults that suit one small server;
docs/DEPLOY.md lists them all.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# BIND wins; otherwise HOST and PORT. Loopback by default: the reverse proxy in front
# is what faces the internet.
bind = os.environ.get("BIND") or (
    f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)

# A few processes with two threads each: a request waiting on a slow remote (a card
# checkout) leaves a thread of its process free, while two busy requests sharing
# one process's interpreter lock stay rare (with 4 threads the rush's slowest 1 %
# took 54 ms on PostgreSQL, with 2 threads 40 ms: docs/PERFORMANCE.md).
# WEB_CONCURRENCY is the name most hosts set.
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"

# A request taking longer than this is stuck (a page answers in milliseconds); the
# worker is killed and replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On restart or deploy, requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Phones poll every few seconds; keeping their connection open through the proxy
# saves a handshake per poll. Keep it below the proxy's own keepalive timeout.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Each worker builds its own app, and with it its own database connection pool: a
# pool created before the fork would be shared by every worker.
preload_app = False

# Logs go to stdout/stderr for the service manager or container runtime to keep.
# The last field of each access line is the request's time in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# gunicorn 25+ opens a control socket at one path per user, so two servers on a host
# (a second site, a test run) would fight over it. Off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

# The worker heartbeat file; tmpfs avoids stalls on slow or overlay disks.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def when_ready(server):
    # Settings that are fine for one process but not for several.
    limits_on = os.environ.get("RATELIMIT_ENABLED", "on").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }
    if limits_on and workers > 1 and not os.environ.get("RATELIMIT_STORAGE_URI"):
        server.log.warning(
            "RATELIMIT_STORAGE_URI is unset: each of the %d workers counts rate limits "
            "on its own, so the limits are %d times looser. Point it at Redis.",
            workers,
            workers,
        )
    if not os.environ.get("SECRET_KEY"):
        server.log.info(
            "SECRET_KEY is unset: using the key in instance/secret_key, which is fine on "
            "one host. Set SECRET_KEY (the same everywhere) when more than one host serves."
        )


def post_worker_init(worker):
    """Each worker compiles its templates and freezes its start-up objects before its
    first request (web/warm.py says why)."""
    from web.warm import warm_up

    compiled = warm_up(worker.wsgi)
    worker.log.info("worker %s warmed up: %d templates compiled", worker.pid, compiled)

