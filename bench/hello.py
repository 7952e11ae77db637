"""A bare Flask "hello world": the yardstick the load benchmark divides by.

Served with the same gunicorn settings as Tabby, it shows what the machine, gunicorn
and the load generator manage with no application work at all.

Two plain WSGI callables, no Flask, measure what HTTP alone costs an answer: `bare`
says "Hello, world!", `headers_only` is a 304 carrying the headers every Tabby answer
carries (the unchanged poll's, byte for byte but the ETag's value). Serve each with
`gunicorn -c gunicorn.conf.py --bind 127.0.0.1:8896 bench.hello:bare` (then
`bench.hello:headers_only`) and load each with 16 users of a plain GET Locust user;
the ratio of the two is the ceiling of the unchanged poll's ratio (docs/PERFORMANCE.md).
"""

from flask import Flask

from web.headers import PRIVATE, security_headers

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"


NOT_MODIFIED_HEADERS = [
    ("ETag", 'W/"tab-1-2"'),
    ("Cache-Control", PRIVATE),
    *security_headers(https=False),
    ("Vary", "Accept-Language, Cookie"),
]


def bare(environ, start_response):
    start_response(
        "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "13")]
    )
    return [b"Hello, world!"]


def headers_only(environ, start_response):
    start_response("304 NOT MODIFIED", list(NOT_MODIFIED_HEADERS))
    return [b""]
