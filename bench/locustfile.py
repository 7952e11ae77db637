"""Locust users for `bench/load.py` (which seeds the shop and starts the servers).

The rush: `PhoneUser` (a customer's open tab page: poll every 3 s with If-None-Match,
order now and then) and `StaffUser` (the counter screen: poll, then mark what was
ordered ready and what is ready served). The saturation phases: `TabPageUser`,
`PollUser` and `HelloUser` send requests back to back, with no wait, to measure
the most each path serves.

The shop to use is read from the JSON file named by TABBY_BENCH_FIXTURE:
{"phones": [{"public_id", "phone_id", "cookie"}, …], "staff": [{"email", "password"}, …],
 "items": [menu item ids]}.
"""

import itertools
import json
import os
import random
import re
import secrets
import time
from http.cookiejar import Cookie
from pathlib import Path

import gevent
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURE = json.loads(Path(os.environ["TABBY_BENCH_FIXTURE"]).read_text())
POLL_SECONDS = float(os.environ.get("TABBY_BENCH_POLL_SECONDS", "3"))
# Each phone orders about once a minute: one poll in twenty.
ORDER_CHANCE = float(os.environ.get("TABBY_BENCH_ORDER_CHANCE", "0.05"))
STAFF_USERS = int(os.environ.get("TABBY_BENCH_STAFF", "3"))
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
TAB_ETAG = re.compile(r"data-etag='([^']+)'")
QUEUE_ROW = re.compile(r'class="queue-row line-(\w+)" data-line-id="(\d+)"')

_phones = itertools.count()
_staff = itertools.count()


def every(seconds: float):
    """A wait time that starts each task `seconds` after the last one started, like
    Locust's constant_pacing, but counted from the user's own first task.

    Locust spawns users in batches, and constant_pacing keeps every user on the beat
    of its spawn time, so a batch of fifty phones would poll in the same millisecond
    every three seconds, for the whole run. Phones in a café are not in step: each
    user here waits a random part of the interval first (`settle_in`), then keeps
    its own beat."""

    def wait_time(user) -> float:
        now = time.monotonic()
        due = getattr(user, "_due", None)
        due = now + seconds if due is None else max(now, due + seconds)
        user._due = due
        return due - now

    return wait_time


def settle_in(seconds: float) -> None:
    gevent.sleep(random.uniform(0, seconds))


def next_phone() -> dict:
    phones = FIXTURE["phones"]
    return phones[next(_phones) % len(phones)]


def set_cookie(user: FastHttpUser, name: str, value: str) -> None:
    host = user.host.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0]
    user.client.cookiejar.set_cookie(
        Cookie(
            0,
            name,
            value,
            None,
            False,
            host,
            False,
            False,
            "/",
            True,
            False,
            None,
            False,
            None,
            None,
            {},
        )  # fmt: skip
    )


class _Phone(FastHttpUser):
    abstract = True

    def on_start(self):
        phone = next_phone()
        self.public_id = phone["public_id"]
        set_cookie(self, "tabby_phone", phone["cookie"])
        self.open_tab_page()

    def open_tab_page(self):
        with self.client.get(
            f"/tab/{self.public_id}", name="tab page", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"tab page: {response.status_code}")
                return
            text = response.text
            self.csrf = CSRF_META.search(text).group(1)
            self.etag = TAB_ETAG.search(text).group(1)

    def poll(self):
        with self.client.get(
            f"/tab/{self.public_id}/live",
            headers={"If-None-Match": self.etag, "Accept": "application/json"},
            name="poll",
            catch_response=True,
        ) as response:
            if response.status_code == 304:
                response.request_meta["name"] = "poll: unchanged (304)"
                response.success()
            elif response.status_code == 200:
                response.request_meta["name"] = "poll: changed (200)"
                self.etag = response.headers.get("ETag", self.etag)
                response.success()
            else:
                response.failure(f"poll: {response.status_code}")


class PhoneUser(_Phone):
    """A customer with the tab page open during the rush."""

    wait_time = every(POLL_SECONDS)

    def on_start(self):
        super().on_start()
        settle_in(POLL_SECONDS)

    @task
    def visit(self):
        self.poll()
        if random.random() < ORDER_CHANCE:
            self.order()

    def order(self):
        with self.client.post(
            f"/tab/{self.public_id}/order",
            data={
                "csrf_token": self.csrf,
                "item_id": str(random.choice(FIXTURE["items"])),
                "quantity": "1",
                "note": "",
                "request_key": secrets.token_urlsafe(12),
            },
            headers={"Accept": "application/json"},
            name="order",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"order: {response.status_code} {response.text[:80]}")


class StaffUser(FastHttpUser):
    """A barista's counter screen: poll, then work through their share of the queue."""

    fixed_count = STAFF_USERS
    wait_time = every(POLL_SECONDS)

    def on_start(self):
        self.number = next(_staff)
        login = FIXTURE["staff"][self.number % len(FIXTURE["staff"])]
        page = self.client.get("/staff/login", name="staff login page")
        csrf = CSRF_META.search(page.text).group(1)
        self.client.post(
            "/staff/login",
            data={"csrf_token": csrf, "email": login["email"], "password": login["password"]},
            name="staff login",
        )
        counter = self.client.get("/staff", name="staff counter page")
        self.csrf = CSRF_META.search(counter.text).group(1)
        self.etag = None
        self.handle(counter.text)
        settle_in(POLL_SECONDS)

    @task
    def poll(self):
        headers = {"Accept": "application/json"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        with self.client.get(
            "/staff/live", headers=headers, name="staff poll", catch_response=True
        ) as response:
            if response.status_code == 304:
                response.request_meta["name"] = "staff poll: unchanged (304)"
                response.success()
                return
            if response.status_code != 200:
                response.failure(f"staff poll: {response.status_code}")
                return
            response.request_meta["name"] = "staff poll: changed (200)"
            self.etag = response.headers.get("ETag")
            html = response.json()["html"]
            response.success()
        self.handle(html)

    def handle(self, html: str, most: int = 10):
        """Each barista takes the lines whose id falls to them, so two never race."""
        staff_count = max(1, STAFF_USERS)
        mine = [
            (status, int(line_id))
            for status, line_id in QUEUE_ROW.findall(html)
            if int(line_id) % staff_count == self.number % staff_count
        ]
        for status, line_id in mine[:most]:
            new = "served" if status == "ready" else "ready"
            with self.client.post(
                f"/staff/lines/{line_id}/status",
                data={"csrf_token": self.csrf, "status": new},
                headers={"Accept": "application/json"},
                name=f"staff marks line {new}",
                catch_response=True,
            ) as response:
                # 409: the line moved on since the page was drawn (a customer's tab
                # was closed, say); the counter shows it right on the next poll.
                if response.status_code in (200, 409):
                    response.success()
                else:
                    response.failure(f"mark line: {response.status_code}")


class _Saturating(_Phone):
    """Requests back to back, each as plain as HelloUser's: Locust shares the cores
    with the server, so any work it does per request beyond hello world's counts
    against the page measured. Its cookie jar (Python's http.cookiejar, a policy
    check per cookie per request) is emptied into a plain Cookie header once the
    phone has its cookies; the server receives exactly what it did before."""

    abstract = True
    wait_time = constant(0)

    def on_start(self):
        super().on_start()
        self.cookies = "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)
        self.client.cookiejar.clear()


class TabPageUser(_Saturating):
    """Saturation: the phone comes back to its unchanged tab page back to back, as a
    browser does: asking with the ETag of the page it keeps (a 304)."""

    def on_start(self):
        super().on_start()
        # The first page of a session sets its cookie and has no ETag; the next has.
        again = self.client.get(
            f"/tab/{self.public_id}", headers={"Cookie": self.cookies}, name="tab page"
        )
        self.page_etag = again.headers.get("ETag", "")

    @task
    def page(self):
        self.client.get(
            f"/tab/{self.public_id}",
            headers={"Cookie": self.cookies, "If-None-Match": self.page_etag},
            name="tab page",
        )


class PollUser(_Saturating):
    """Saturation: poll an unchanged tab back to back. Every answer must be an empty
    304, which bench/load.py checks afterwards (the phase's average body size is 0)."""

    @task
    def unchanged(self):
        self.client.get(
            f"/tab/{self.public_id}/live",
            headers={
                "Cookie": self.cookies,
                "If-None-Match": self.etag,
                "Accept": "application/json",
            },
            name="poll: unchanged (304)",
        )


class HelloUser(FastHttpUser):
    """Saturation: the bare Flask app, for scale."""

    wait_time = constant(0)

    @task
    def hello(self):
        self.client.get("/", name="hello world")
