"""Rendered fragments of calendar pages, kept by what they show.

A month grid of a busy metropolis holds a few hundred meetings; rendering it is most of the
page's cost, and the same grid is asked for again and again. A fragment is stored under a key
made of *everything it shows* (the rows themselves, the day, the language, the filters), never
under a name that a write would have to invalidate: a changed meeting makes a new key, so a
stale grid cannot be served, on any worker. The cache is per process and bounded (least
recently used out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup

#: about 50 kB per grid: a few megabytes per worker at most
MAX_FRAGMENTS = 64


class FragmentCache:
    """A bounded, thread-safe map from a content key to rendered HTML (views run in threads)."""

    def __init__(self, size: int = MAX_FRAGMENTS) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], Markup]) -> Markup:
        """The fragment stored under ``key``, or ``render()``'s result, stored."""
        with self._lock:
            html = self._items.get(key)
            if html is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return html
            self.misses += 1
        html = render()  # outside the lock: two threads may render the same grid once each
        with self._lock:
            self._items[key] = html
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return html

    def __len__(self) -> int:
        return len(self._items)
