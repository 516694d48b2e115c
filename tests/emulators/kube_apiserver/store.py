"""Versioned object storage with a bounded change history, the way etcd backs kube-apiserver.

Every write takes the next value of one global resourceVersion counter. The history keeps the
last `history_limit` changes so that watches can resume from a resourceVersion; a watch from a
version older than the history gets 410 Gone, like a real server after etcd compaction.
"""
import collections
import copy
import threading


class Change:
    __slots__ = ("rv", "type", "gkey", "obj", "old")

    def __init__(self, rv, type_, gkey, obj, old):
        self.rv, self.type, self.gkey, self.obj, self.old = rv, type_, gkey, obj, old


class Store:
    def __init__(self, history_limit=1000):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.objects = {}  # (group, plural, namespace, name) -> object (stored as written)
        self.rv = 1
        self.history = collections.deque()
        self.history_limit = history_limit
        self.compacted_rv = 0  # every change with rv <= this one is gone from the history

    def next_rv(self):
        self.rv += 1
        return self.rv

    def get(self, key):
        return self.objects.get(key)

    def items(self, group, plural, namespace=None):
        """The objects of one resource (optionally one namespace), sorted by namespace/name."""
        out = [(k, o) for k, o in self.objects.items()
               if k[0] == group and k[1] == plural and (namespace is None or k[2] == namespace)]
        out.sort(key=lambda kv: (kv[0][2], kv[0][3]))
        return out

    def put(self, key, obj):
        """Stores `obj` (its metadata.resourceVersion must already be the next rv) and records
        the change for watchers."""
        old = self.objects.get(key)
        self.objects[key] = obj
        self._record("MODIFIED" if old is not None else "ADDED", key, obj, old)

    def remove(self, key, final):
        old = self.objects.pop(key)
        self._record("DELETED", key, final, old)
        return old

    def _record(self, type_, key, obj, old):
        rv = int(obj["metadata"]["resourceVersion"])
        self.history.append(Change(rv, type_, key[:2], copy.deepcopy(obj), old))
        self.trim()
        self.changed.notify_all()

    def trim(self):
        while len(self.history) > self.history_limit:
            self.compacted_rv = self.history.popleft().rv

    def compact(self):
        """Forgets the whole history, as an etcd compaction at the current revision would."""
        with self.lock:
            self.history.clear()
            self.compacted_rv = self.rv
            self.changed.notify_all()

    def changes_after(self, rv):
        """Changes with rv > `rv`, or None when some of them were compacted away."""
        if rv < self.compacted_rv:
            return None
        return [c for c in self.history if c.rv > rv]

    def clear(self):
        with self.lock:
            self.objects.clear()
            self.history.clear()
            self.compacted_rv = self.rv
            self.changed.notify_all()
