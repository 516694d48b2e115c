"""OpenAPI v3 documents, as much as clients read: kubectl checks in /openapi/v3/<group-version>
that a resource's write operations accept `fieldValidation` before it relies on server-side
validation. Paths carry their operations, parameters and x-kubernetes-group-version-kind;
the schemas are the CRDs' own, and for built-in kinds an open object."""
import hashlib
import json

_WRITE_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "pretty"]


def _param(name):
    return {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}


def _gv_path(group, version):
    return "api/" + version if not group else "apis/%s/%s" % (group, version)


def _schema_name(rtype, version):
    if rtype.builtin:
        return "io.k8s.api.%s.%s.%s" % ((rtype.group or "core").split(".")[0], version, rtype.kind)
    return "%s.%s.%s" % (".".join(reversed(rtype.group.split("."))), version, rtype.kind)


def group_versions(registry):
    out = set()
    for t in registry.types:
        for v in t.versions:
            out.add((t.group, v))
    return sorted(out)


def gv_document(registry, group, version):
    types = [t for t in registry.types if t.group == group and version in t.versions]
    if not types:
        return None
    paths, schemas = {}, {}
    for t in types:
        gvk = {"group": t.group, "version": version, "kind": t.kind}
        ref = {"$ref": "#/components/schemas/" + _schema_name(t, version)}
        body = {"content": {"application/json": {"schema": ref}}}
        ok = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        base = "/" + _gv_path(group, version)
        coll = base + ("/namespaces/{namespace}/" if t.namespaced else "/") + t.plural
        ns_param = [{"name": "namespace", "in": "path", "required": True,
                     "schema": {"type": "string"}}] if t.namespaced else []

        def op(action, params, with_body):
            out = {"operationId": action + t.kind, "x-kubernetes-action": action,
                   "x-kubernetes-group-version-kind": gvk,
                   "parameters": [_param(p) for p in params], "responses": ok}
            if with_body:
                out["requestBody"] = body
            return out

        ops = {}
        if "create" in t.verbs:
            ops["post"] = op("post", _WRITE_PARAMS, True)
        if "list" in t.verbs:
            ops["get"] = op("list", ["labelSelector", "fieldSelector", "limit", "continue",
                                     "resourceVersion", "watch", "timeoutSeconds"], False)
        paths[coll] = dict(ops, parameters=ns_param)
        item_ops = {}
        if "get" in t.verbs:
            item_ops["get"] = op("get", ["pretty"], False)
        if "update" in t.verbs:
            item_ops["put"] = op("put", _WRITE_PARAMS, True)
        if "patch" in t.verbs:
            item_ops["patch"] = op("patch", _WRITE_PARAMS + ["force"], True)
        if "delete" in t.verbs:
            item_ops["delete"] = op("delete", ["dryRun", "propagationPolicy",
                                               "gracePeriodSeconds"], False)
        if item_ops:
            paths[coll + "/{name}"] = dict(item_ops, parameters=ns_param + [{
                "name": "name", "in": "path", "required": True, "schema": {"type": "string"}}])
        schema = t.schemas.get(version) if not t.builtin else None
        schema = dict(schema) if schema else {"type": "object",
                                              "x-kubernetes-preserve-unknown-fields": True}
        schema["x-kubernetes-group-version-kind"] = [gvk]
        schemas[_schema_name(t, version)] = schema
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.4"},
            "paths": paths, "components": {"schemas": schemas}}


def root_document(registry):
    paths = {}
    for group, version in group_versions(registry):
        doc = gv_document(registry, group, version)
        digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:64].upper()
        paths[_gv_path(group, version)] = {
            "serverRelativeURL": "/openapi/v3/%s?hash=%s" % (_gv_path(group, version), digest)}
    return {"paths": paths}
