"""Label and field selectors with the grammar of k8s.io/apimachinery/pkg/labels and fields."""
import re

from errors import bad_request

_TOKEN = re.compile(r"\s*(notin\b|in\b|!=|==|=|!|\(|\)|,|[A-Za-z0-9_.\-/]+)")


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request('unable to parse requirement: invalid label selector: "%s"' % text)
        out.append(m.group(1))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def parse_labels(text):
    """Returns a list of (key, op, values); op in =, !=, in, notin, exists, !exists."""
    reqs, toks, i = [], _tokens(text or ""), 0

    def fail(why):
        raise bad_request("unable to parse requirement: %s in label selector %r" % (why, text))

    while i < len(toks):
        if toks[i] == "!":
            if i + 1 >= len(toks):
                fail("missing key after '!'")
            reqs.append((toks[i + 1], "!exists", []))
            i += 2
        else:
            key = toks[i]
            op = toks[i + 1] if i + 1 < len(toks) else ","
            if op == ",":
                reqs.append((key, "exists", []))
                i += 1
            elif op in ("=", "==", "!="):
                if i + 2 >= len(toks) or toks[i + 2] in (",", "(", ")"):
                    value, i = "", i + 2  # `k=` selects an empty value
                else:
                    value, i = toks[i + 2], i + 3
                reqs.append((key, "!=" if op == "!=" else "=", [value]))
            elif op in ("in", "notin"):
                if i + 2 >= len(toks) or toks[i + 2] != "(":
                    fail("expected '(' after '%s'" % op)
                j, values = i + 3, []
                while j < len(toks) and toks[j] != ")":
                    if toks[j] != ",":
                        values.append(toks[j])
                    j += 1
                if j >= len(toks):
                    fail("missing ')'")
                reqs.append((key, op, values))
                i = j + 1
            else:
                fail("unexpected %r" % op)
        if i < len(toks):
            if toks[i] != ",":
                fail("expected ','")
            i += 1
    return reqs


def labels_match(reqs, labels):
    labels = labels or {}
    for key, op, values in reqs:
        present = key in labels
        if op == "exists" and not present:
            return False
        if op == "!exists" and present:
            return False
        if op in ("=", "in") and (not present or labels[key] not in values):
            return False
        if op in ("!=", "notin") and present and labels[key] in values:
            return False
    return True


_FIELD_GETTERS = {
    "metadata.name": lambda o: o.get("metadata", {}).get("name", ""),
    "metadata.namespace": lambda o: o.get("metadata", {}).get("namespace", ""),
    "status.phase": lambda o: (o.get("status") or {}).get("phase", ""),
    "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
    "spec.serviceAccountName": lambda o: (o.get("spec") or {}).get("serviceAccountName", ""),
    "type": lambda o: o.get("type", ""),
}


def parse_fields(text):
    """Returns a list of (path, op, value) with op = or !=; only the supported paths."""
    reqs = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        m = re.match(r"^([^=!]+)(==|=|!=)(.*)$", part)
        if not m:
            raise bad_request('invalid selector: "%s"; can\'t understand "%s"' % (text, part))
        path = m.group(1).strip()
        if path not in _FIELD_GETTERS:
            raise bad_request('"%s" is not a known field selector: only "metadata.name", '
                              '"metadata.namespace"' % path)
        reqs.append((path, "!=" if m.group(2) == "!=" else "=", m.group(3).strip()))
    return reqs


def fields_match(reqs, obj):
    for path, op, value in reqs:
        actual = _FIELD_GETTERS[path](obj)
        if (actual == value) != (op == "="):
            return False
    return True
