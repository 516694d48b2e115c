"""Object validation: metadata (names, labels) and the OpenAPI v3 schemas of CRDs.

Schema checks cover what structural schemas enforce on every write: types (with
x-kubernetes-int-or-string), enum, required, and unknown fields, which are pruned (the
default) or rejected when the client asks for fieldValidation=Strict. CEL rules
(x-kubernetes-validations) and format/pattern/oneOf checks are not evaluated.
"""
import re

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
              "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
              "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character "
                  "(e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                "start with an alphabetic character, and end with an alphanumeric character "
                "(e.g. 'my-name',  or 'abc-123', regex used for validation is "
                "'[a-z]([-a-z0-9]*[a-z0-9])?')")

# Kinds whose names must be DNS labels rather than subdomains.
_LABEL_NAMED = {"Namespace": "label", "Service": "dns1035"}


def name_problems(kind, name):
    rule = _LABEL_NAMED.get(kind, "subdomain")
    if rule == "label":
        if len(name) > 63:
            return ["must be no more than 63 characters"]
        return [] if _LABEL.match(name) else [_LABEL_MSG]
    if rule == "dns1035":
        if len(name) > 63:
            return ["must be no more than 63 characters"]
        return [] if _DNS1035.match(name) else [_DNS1035_MSG]
    if len(name) > 253:
        return ["must be no more than 253 characters"]
    return [] if _SUBDOMAIN.match(name) else [_SUBDOMAIN_MSG]


def metadata_causes(kind, meta):
    """[(field, reason, message)] for the object metadata."""
    causes = []
    name = meta.get("name")
    if not name:
        causes.append(("metadata.name", "FieldValueRequired",
                       "Required value: name or generateName is required"))
    else:
        for p in name_problems(kind, name):
            causes.append(("metadata.name", "FieldValueInvalid",
                           'Invalid value: "%s": %s' % (name, p)))
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and not isinstance(value, dict):
            causes.append(("metadata." + field, "FieldValueInvalid", "Invalid value: must be a map"))
    for key, value in (meta.get("labels") or {}).items():
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            causes.append(("metadata.labels", "FieldValueInvalid",
                           'Invalid value: "%s": a valid label must be an empty string or consist '
                           "of alphanumeric characters, '-', '_' or '.', and must start and end "
                           "with an alphanumeric character" % (value,)))
        prefix, _, base = key.rpartition("/")
        if (prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix))) or not base or \
                len(base) > 63 or not _LABEL_VALUE.match(base):
            causes.append(("metadata.labels", "FieldValueInvalid",
                           'Invalid value: "%s": name part must consist of alphanumeric '
                           "characters, '-', '_' or '.', and must start and end with an "
                           "alphanumeric character" % key))
    return causes


_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _type_ok(schema, value):
    if value is None:
        return schema.get("nullable", False)
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    t = schema.get("type")
    if t is None:
        return True
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or \
            (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES.get(t, object))


def _json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), "null")


def check_schema(schema, value, path, errors, unknown):
    """Validates `value` in place: type errors go to `errors` as (field, message), unknown
    fields to `unknown` (as paths) and are pruned from `value`."""
    if not schema:
        return
    if not _type_ok(schema, value):
        t = "integer" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
        errors.append((path, 'Invalid value: "%s": %s in body must be of type %s: "%s"'
                       % (_json_type(value), path, t, _json_type(value))))
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append((path, 'Unsupported value: %s: supported values: %s' % (
            _quote(value), ", ".join(_quote(v) for v in schema["enum"]))))
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for req in schema.get("required") or []:
            if req not in value:
                errors.append(((path + "." if path else "") + req, "Required value"))
        for k in list(value):
            sub = (path + "." if path else "") + k
            if props and k in props:
                check_schema(props[k], value[k], sub, errors, unknown)
            elif isinstance(extra, dict):
                check_schema(extra, value[k], sub, errors, unknown)
            elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
                continue
            elif props is not None or schema.get("type") == "object":
                unknown.append(sub)
                del value[k]
    elif isinstance(value, list):
        for n, item in enumerate(value):
            check_schema(schema.get("items"), item, "%s[%d]" % (path, n), errors, unknown)


def _quote(v):
    return '"%s"' % v if isinstance(v, str) else str(v)


def check_custom_object(schema, obj):
    """(errors, unknown fields) of a custom object; unknown fields are pruned in place.
    metadata, apiVersion and kind are the server's, never pruned."""
    errors, unknown = [], []
    if not schema:
        return errors, unknown
    props = schema.get("properties") or {}
    for k in list(obj):
        if k in ("apiVersion", "kind", "metadata"):
            continue
        if k in props:
            check_schema(props[k], obj[k], k, errors, unknown)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            unknown.append(k)
            del obj[k]
    return errors, unknown
