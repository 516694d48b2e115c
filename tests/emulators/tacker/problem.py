"""ETSI SOL013 ProblemDetails errors, shaped like Tacker's sol_refactored exceptions.

Tacker answers every v2 error with `Content-Type: application/problem+json` and a body
{"status": N, "detail": "...", "title": "..."}; the titles are the HTTP reason phrases.
"""

TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 406: "Not Acceptable", 409: "Conflict",
          415: "Unsupported Media Type", 422: "Unprocessable Entity",
          429: "Too Many Requests", 500: "Internal Server Error",
          503: "Service Unavailable"}


class ApiError(Exception):
    """An error answered as ProblemDetails (status, detail, title)."""

    def __init__(self, status, detail, title=None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title if title is not None else TITLES.get(status)

    def body(self):
        body = {"status": self.status, "detail": self.detail}
        if self.title is not None:
            body["title"] = self.title
        return body


def problem(status, detail, title=None):
    return ApiError(status, detail, title).body()


# The errors below carry Tacker's own message texts (tacker/sol_refactored/common/exceptions.py).

def version_missing():
    return ApiError(400, "'Version' HTTP header missing.")


def version_invalid(version):
    return ApiError(400, "Version String %s is of invalid format. Must be of format "
                    "Major.Minor.Patch." % version)


def version_not_supported(version):
    return ApiError(406, "Version %s not supported." % version)


def method_not_allowed(method):
    return ApiError(405, "Method %s is not supported." % method)


def malformed_body():
    return ApiError(400, "Malformed request body.")


def unsupported_content_type(header):
    return ApiError(415, "Content type '%s' specified in 'Content-Type' header is not "
                    "allowed." % header)


def not_acceptable(header):
    return ApiError(406, "Content type '%s' specified in 'Accept' header is not allowed."
                    % header)


def inst_not_found(inst_id):
    return ApiError(404, "VnfInstance %s not found." % inst_id)


def inst_instantiated(inst_id):
    return ApiError(409, "VnfInstance %s is instantiated." % inst_id)


def inst_not_instantiated(inst_id):
    return ApiError(409, "VnfInstance %s isn't instantiated." % inst_id)


def other_op_in_progress(inst_id):
    return ApiError(409, "Other LCM operation of vnfInstance %s is in progress." % inst_id)


def lcmocc_not_found(occ_id):
    return ApiError(404, "VnfLcmOpOcc %s not found." % occ_id)


def lcmocc_not_failed_temp(occ_id):
    return ApiError(409, "LCM operation %s not FAILED_TEMP." % occ_id)


def subscription_not_found(subsc_id):
    return ApiError(404, "LccnSubscription %s not found." % subsc_id)


def vnfd_not_found(vnfd_id):
    return ApiError(422, "VnfPackage of vnfdId %s is not found or not operational." % vnfd_id)


def invalid_filter():
    return ApiError(400, "Attribute filter expression is invalid.")


def test_notification_failed():
    return ApiError(422, "Can't get from notification callback Uri.")


def not_supported_operation():
    return ApiError(404, "This operation is not currently supported.")


def invalid_aspect(aspect_id):
    return ApiError(400, "Invalid aspectId '%s'." % aspect_id)


def invalid_steps(steps):
    return ApiError(400, "Invalid numberOfSteps '%d'." % steps)


def validation(detail):
    return ApiError(400, detail)
