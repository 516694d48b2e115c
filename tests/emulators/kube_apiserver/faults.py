"""Fault injection rules for the API (set through POST /_emulator/faults).

A rule matches requests by method and a regular expression on the path, optionally only the
next `count` of them, and then delays them, fails them with a Status of `error_code`, drops
the connection without an answer, or answers a truncated body. With "after_apply": true the
request takes effect first and only the answer is lost or broken (a lost response).
"""
import random
import re
import threading

from errors import ApiError

_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
            409: "Conflict", 410: "Expired", 422: "Invalid", 429: "TooManyRequests",
            500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class Decision:
    def __init__(self):
        self.latency = 0.0
        self.error = None  # an ApiError to answer instead of serving
        self.drop = False
        self.malformed = False
        self.after_apply = False


class Faults:
    def __init__(self, seed=None):
        self.lock = threading.Lock()
        self.rules = []
        self.random = random.Random(seed)

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        match = spec.get("match") or {}
        rule = dict(spec)
        rule["_method"] = (match.get("method") or "").upper() or None
        rule["_path"] = re.compile(match["path_regex"]) if match.get("path_regex") else None
        code = int(spec.get("error_code", 500))
        if code not in _REASONS:
            raise ValueError("error_code %d is not one of %s" % (code, sorted(_REASONS)))
        for key in ("error_rate", "drop_rate", "malformed_rate"):
            if not 0 <= float(spec.get(key, 0)) <= 1:
                raise ValueError("%s must be within [0, 1]" % key)
        with self.lock:
            self.rules.append(rule)

    def clear(self):
        with self.lock:
            self.rules = []

    def describe(self):
        with self.lock:
            return [{k: v for k, v in r.items() if not k.startswith("_")} for r in self.rules]

    def decide(self, method, path):
        d = Decision()
        with self.lock:
            for rule in self.rules:
                if rule["_method"] and rule["_method"] != method:
                    continue
                if rule["_path"] and not rule["_path"].search(path):
                    continue
                if "count" in rule:
                    if rule["count"] <= 0:
                        continue
                    rule["count"] -= 1
                d.latency = max(d.latency, float(rule.get("latency_ms", 0)) / 1000.0)
                d.after_apply = bool(rule.get("after_apply"))
                roll = self.random.random
                if roll() < float(rule.get("drop_rate", 0)):
                    d.drop = True
                elif roll() < float(rule.get("malformed_rate", 0)):
                    d.malformed = True
                elif roll() < float(rule.get("error_rate", 0)):
                    d.error = _error(int(rule.get("error_code", 500)), rule.get("retry_after"))
                break
            self.rules = [r for r in self.rules if r.get("count", 1) > 0]
        return d


def _error(code, retry_after):
    messages = {429: "Too many requests, please try again later.",
                500: "Internal error occurred: injected fault",
                503: "The server is currently unable to handle the request",
                504: "Timeout: request did not complete within the allowed duration",
                409: "Operation cannot be fulfilled: the object has been modified; please apply "
                     "your changes to the latest version and try again"}
    details, headers = None, {}
    if retry_after is not None:
        details = {"retryAfterSeconds": int(retry_after)}
        headers["Retry-After"] = str(int(retry_after))
    return ApiError(code, _REASONS[code], messages.get(code, "injected fault"), details, headers)
