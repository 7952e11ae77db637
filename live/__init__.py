"""What makes live pages cheap: versions, ETags, polls and 304s, and the phone.

What a newcomer must know:

- **A version is a counter the database moves.** `tabs.version` moves on every
  change to a tab or to a row that belongs to it (its lines, payments, pay requests,
  members, ratings, push subscriptions); `shops.live_version` moves with every tab
  and every shop-wide row the counter shows (cards, staff, menu, undelivered
  notifications); `shops.settings_version` with every other change to the shop's
  own row. Triggers do it (migration e3a7c2b9d150), on SQLite and PostgreSQL, for
  bulk UPDATEs too: no service calls anything. On PostgreSQL the shop's live
  version moves at commit (deferred triggers, migration a9d3f7e1c264), so two
  transactions in one shop never wait for each other's whole length.
  tests/test_live_versions.py lists every table and proves it; a new table fails
  there until it is covered or named as shown on no live page.
- **An ETag is built from versions, by one function per page kind** (etags.py):
  the tab page, the tab's poll, the bill's poll, the counter, a station's board,
  the public ready board. Each also names the
  language and the release, since the same versions drawn in Korean, or by newer
  templates, are another page. Nothing else writes an ETag.
- **Polls and 304s.** An open tab page polls `/tab/<id>/live` every few seconds
  with the ETag it last saw; a phone coming back to its tab page asks with the ETag
  its browser kept. Nearly always nothing changed, so both are answered `304` here
  before Flask (answers.py), from one indexed read of the tab's row and its shop's
  settings version (versions.py). The counter's poll, a station board's poll and
  the public ready board's poll are answered the same way when unchanged, from one
  read each (boards.py): the staff session checked as Flask-Login would, or the
  board's key. Flask's views build the same ETags and give the
  same 304 for everything this layer leaves to them (a friend's phone, an unusual
  request, a database this layer could not reach), so a breakpoint in a view is
  hit whenever this layer steps aside; set FAST_ANSWERS=off to send all to Flask.
  No page is kept in server memory: the browser keeps its own copy.
- **Where the versions come from.** On SQLite, from the database on every request.
  On PostgreSQL a round trip costs more than the rest of the answer, so each
  process caches the versions it read and drops them when the database announces
  a change (NOTIFY from triggers, heard by one listening thread per process;
  version_cache.py says what keeps that right: its own commits drop their tabs at
  once, and while nobody listens every read goes to the database).
  LIVE_VERSION_CACHE=off reads the database every time (behind PgBouncer in
  transaction mode, which cannot LISTEN).
- **The phone** is known by a random id in a signed cookie (phone.py): the one
  cookie name and signer, used here and by blueprints/customer.py. Only a phone
  that owns the tab gets its 304 here; anything else is Flask's to decide.
"""

from live.etags import (
    bill_etag,
    counter_etag,
    ready_board_etag,
    release,
    station_etag,
    tab_page_etag,
    tab_poll_etag,
)
from live.phone import PHONE_COOKIE, phone_signer, read_phone

__all__ = [
    "PHONE_COOKIE",
    "bill_etag",
    "counter_etag",
    "ready_board_etag",
    "phone_signer",
    "read_phone",
    "release",
    "station_etag",
    "tab_page_etag",
    "tab_poll_etag",
]
