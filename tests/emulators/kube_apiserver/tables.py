"""Server-side printing: the meta.k8s.io Table and PartialObjectMetadata forms that kubectl
asks for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`."""
import datetime
import json


def wants(accept, form):
    return any(("as=" + form) in part.replace(" ", "").split(";")
               for part in (accept or "").split(","))


def _age(ts):
    if not ts:
        return "<unknown>"
    then = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    secs = int((datetime.datetime.now(datetime.timezone.utc) - then).total_seconds())
    if secs < 120:
        return "%ds" % max(secs, 0)
    if secs < 7200:
        return "%dm" % (secs // 60)
    if secs < 172800:
        return "%dh" % (secs // 3600)
    return "%dd" % (secs // 86400)


def _json_path(obj, path):
    """The simple `.a.b` JSONPaths of additionalPrinterColumns."""
    cur = obj
    for part in path.strip("{}").lstrip(".").split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _cell(value):
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return value


def _columns(rtype, version):
    cols = [("Name", "string", "name")]
    if rtype.plural == "pods":
        cols += [("Ready", "string", ""), ("Status", "string", ""), ("Restarts", "string", "")]
    elif rtype.plural == "deployments":
        cols += [("Ready", "string", ""), ("Up-to-date", "integer", ""),
                 ("Available", "integer", "")]
    elif rtype.plural == "namespaces":
        cols += [("Status", "string", "")]
    for c in rtype.printer_columns.get(version, []):
        if c.get("jsonPath") != ".metadata.creationTimestamp":
            cols.append((c["name"], c.get("type", "string"), c.get("format", "")))
    cols.append(("Age", "string", ""))
    return cols


def _cells(rtype, version, obj):
    md, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    cells = [md["name"]]
    if rtype.plural == "pods":
        cs = status.get("containerStatuses") or []
        cells += ["%d/%d" % (len([c for c in cs if c.get("ready")]),
                             len(spec.get("containers") or [])),
                  status.get("phase", "Pending"), "0"]
    elif rtype.plural == "deployments":
        cells += ["%d/%d" % (status.get("readyReplicas", 0), spec.get("replicas", 1)),
                  status.get("updatedReplicas", 0), status.get("availableReplicas", 0)]
    elif rtype.plural == "namespaces":
        cells += [status.get("phase", "Active")]
    for c in rtype.printer_columns.get(version, []):
        if c.get("jsonPath") != ".metadata.creationTimestamp":
            cells.append(_cell(_json_path(obj, c.get("jsonPath", ""))))
    cells.append(_age(md.get("creationTimestamp")))
    return cells


def partial(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}


def table(rtype, version, objects, list_meta, include_object):
    rows = []
    for obj in objects:
        row_obj = obj if include_object == "Object" else (
            None if include_object == "None" else partial(obj))
        rows.append({"cells": _cells(rtype, version, obj), "object": row_obj})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": [{"name": n, "type": t, "format": f, "description": n,
                                   "priority": 0} for n, t, f in _columns(rtype, version)],
            "rows": rows}
