"""The hardening headers every answer carries: Flask's pages (`register`) and the
answers given before Flask (live/answers.py) take them from here, so the two cannot
drift."""

from flask import Flask, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

# Nothing in Tabby uses these browser features; refusing them means injected or
# third-party code cannot either.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "bluetooth",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)

HSTS = "max-age=31536000; includeSubDomains"

# Bills and tabs are personal; never let a shared cache keep them.
PRIVATE = "private, no-cache"


def security_headers(https: bool) -> list[tuple[str, str]]:
    """`https`: the request came over HTTPS, or the public site is HTTPS (a proxy in
    front terminates TLS, so the request itself may look like plain HTTP)."""
    headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", HSTS))
    return headers


def register(app: Flask) -> None:
    @app.after_request
    def harden(response):
        # Behind a proxy that terminates TLS the request itself may look like plain
        # HTTP; an https BASE_URL says the public site is HTTPS all the same.
        https = request.is_secure or app.config["BASE_URL"].startswith("https://")
        for name, value in security_headers(https):
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" or response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", PRIVATE)
        return response
