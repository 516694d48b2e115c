"""Service account tokens (TokenRequest): JWTs with the claims kube-apiserver puts in them,
signed with HMAC-SHA256 by a per-process key (the real server signs with RS256)."""
import base64
import hashlib
import hmac
import json
import os
import time
import uuid

ISSUER = "https://kubernetes.default.svc.cluster.local"
API_AUDIENCE = ISSUER  # what the server itself accepts as a bearer token audience


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self):
        self.key = os.urandom(32)
        self.kid = hashlib.sha256(self.key).hexdigest()[:16]

    def issue(self, namespace, sa, audiences, seconds, bound=None, now=None):
        now = int(now or time.time())
        claims = {"aud": audiences, "exp": now + seconds, "iat": now, "nbf": now, "iss": ISSUER,
                  "jti": str(uuid.uuid4()),
                  "kubernetes.io": {"namespace": namespace,
                                    "serviceaccount": {"name": sa["metadata"]["name"],
                                                       "uid": sa["metadata"]["uid"]}},
                  "sub": "system:serviceaccount:%s:%s" % (namespace, sa["metadata"]["name"])}
        if bound:
            claims["kubernetes.io"][bound["kind"].lower()] = {"name": bound.get("name"),
                                                              "uid": bound.get("uid")}
        head = _b64(json.dumps({"alg": "HS256", "kid": self.kid, "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self.key, (head + "." + body).encode(), hashlib.sha256).digest())
        return head + "." + body + "." + sig, now + seconds

    def verify(self, token, audience):
        """The claims when `token` is ours, unexpired and meant for `audience`; else None."""
        try:
            head, body, sig = token.split(".")
            want = _b64(hmac.new(self.key, (head + "." + body).encode(), hashlib.sha256).digest())
            if not hmac.compare_digest(want, sig):
                return None
            claims = json.loads(_unb64(body))
        except (ValueError, TypeError):
            return None
        if claims.get("exp", 0) < time.time():
            return None
        if audience is not None and audience not in claims.get("aud", []):
            return None
        return claims
