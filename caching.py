"""A small in-process cache: the most recently used entries, at most `size` of them.

Used only for things that can be rebuilt from the database at any time (a drawn
page or row, keyed by the versions it shows), so another worker or host that lacks
an entry simply builds its own; nothing here is state anyone else needs."""

import threading
import time
from collections import OrderedDict


class MemoryCache:
    def __init__(self, size: int, seconds: float | None = None):
        self.size = size
        self.seconds = seconds
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, expires = entry
            if expires is not None and expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        expires = None if self.seconds is None else time.monotonic() + self.seconds
        with self._lock:
            self._entries[key] = (value, expires)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def discard(self, key) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
