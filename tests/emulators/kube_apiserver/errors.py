"""API errors as the real kube-apiserver reports them: a metav1.Status body with reason and code."""


class ApiError(Exception):
    """An error answered as a Status object; `headers` are extra response headers (Retry-After)."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def qualified(rtype):
    """`deployments.apps`, `pods`: the resource name the real server puts in messages."""
    return rtype.plural + ("." + rtype.group if rtype.group else "")


def _details(rtype, name):
    d = {"name": name, "kind": rtype.plural}
    if rtype.group:
        d["group"] = rtype.group
    return d


def not_found(rtype, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(rtype), name),
                    _details(rtype, name))


def already_exists(rtype, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rtype), name),
                    _details(rtype, name))


def conflict(rtype, name, why):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (qualified(rtype), name, why), _details(rtype, name))


def stale_update(rtype, name):
    return conflict(rtype, name, "the object has been modified; please apply your changes to the "
                    "latest version and try again")


def invalid(kind, group, name, causes):
    """422 with one cause per field: causes = [(field, reason, message)]."""
    text = "; ".join("%s: %s" % (f, m) for f, _, m in causes)
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes]}
    if group:
        details["group"] = group
    qualified_kind = kind + ("." + group if group else "")
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (qualified_kind, name, text),
                    details)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(message="the server does not allow this method on the requested resource"):
    return ApiError(405, "MethodNotAllowed", message)


def unsupported_media_type(content_type):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml" if content_type else "missing content type")


def gone(message):
    return ApiError(410, "Expired", message)


def not_found_path(path):
    return ApiError(404, "NotFound", "the server could not find the requested resource",
                    {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]}
                    if path.startswith("/apis") or path.startswith("/api") else None)
