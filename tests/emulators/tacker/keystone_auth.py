"""X-Auth-Token checking, by asking a real Keystone (GET /v3/auth/tokens), or against a
static token when the emulator runs without Keystone.

A validation is cached briefly (and never past the token's own expires_at), as
keystonemiddleware does, so an expired token is refused because Keystone says so.
"""
import datetime
import json
import threading
import time
import urllib.error
import urllib.request


class AuthError(Exception):
    pass


def _parse_time(text):
    # Keystone: "2026-11-27T21:40:12.000000Z"
    text = text.rstrip("Z")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, fmt).replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            pass
    raise ValueError("unparseable Keystone time %r" % text)


class KeystoneValidator:
    def __init__(self, url, user, password, project, domain="Default", cache_seconds=2.0):
        self.url = url.rstrip("/")
        self.user, self.password, self.project, self.domain = user, password, project, domain
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._service_token = None
        self._cache = {}  # token -> (valid_until, token info)

    def _request(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers=headers or {})
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def _login(self):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user, "domain": {"name": self.domain},
                "password": self.password}}},
            "scope": {"project": {"name": self.project, "domain": {"name": self.domain}}}}}
        status, headers, raw = self._request("POST", "/auth/tokens", body)
        if status != 201:
            raise AuthError("emulator cannot log in to Keystone %s as %s: HTTP %d %s"
                            % (self.url, self.user, status, raw[:200]))
        return headers["X-Subject-Token"]

    def _service(self, renew=False):
        with self._lock:
            if renew or self._service_token is None:
                self._service_token = self._login()
            return self._service_token

    def validate(self, token):
        """Returns the token's info (user, project, roles); raises AuthError if refused."""
        now = time.time()
        cached = self._cache.get(token)
        if cached and cached[0] > now:
            return cached[1]
        for attempt in (0, 1):
            service = self._service(renew=attempt == 1)
            status, _, raw = self._request("GET", "/auth/tokens", headers={
                "X-Auth-Token": service, "X-Subject-Token": token})
            if status == 401 and attempt == 0:
                continue  # our own service token expired: log in again
            break
        if status != 200:
            self._cache.pop(token, None)
            raise AuthError("Keystone refused the token (HTTP %d)" % status)
        info = json.loads(raw)["token"]
        expires = _parse_time(info["expires_at"])
        self._cache[token] = (min(now + self.cache_seconds, expires), info)
        if len(self._cache) > 1000:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return info


class StaticTokenValidator:
    def __init__(self, token):
        self.token = token

    def validate(self, token):
        if token != self.token:
            raise AuthError("token does not match the emulator's static token")
        return {"user": {"name": "static"}, "project": {"name": "static"}}
