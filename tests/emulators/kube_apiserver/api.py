"""The REST semantics of kube-apiserver for one resource request: get, list, create, update,
patch (merge, strategic, JSON, server-side apply), delete, the status/scale/token subresources.

Everything runs under the store lock, so each request is atomic; controllers react inside the
same critical section (see controllers.py).
"""
import base64
import copy
import datetime
import json
import random
import uuid

import yaml

import errors
import fieldsets
import patches
import selection
import validation
from errors import ApiError, bad_request


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def truthy(value):
    return str(value).lower() in ("1", "true", "yes")


class Request:
    """One API call on a resource, as parsed from the URL, query, headers and body."""

    def __init__(self, method, rtype, version, namespace, name, subresource, query, body,
                 content_type, user_agent, accept=""):
        self.method = method
        self.rtype = rtype
        self.version = version
        self.namespace = namespace
        self.name = name
        self.subresource = subresource
        self.query = query
        self.body = body
        self.content_type = content_type
        self.user_agent = user_agent
        self.accept = accept
        self.warnings = []

    def q(self, key, default=None):
        return self.query.get(key, default)

    @property
    def field_manager(self):
        manager = self.q("fieldManager")
        if manager:
            return manager
        # The real server names an unnamed writer after its user agent up to the first "/".
        return (self.user_agent or "unknown").split("/")[0][:128] or "unknown"

    @property
    def dry_run(self):
        return self.q("dryRun") == "All"


def _key(rtype, namespace, name):
    return (rtype.group, rtype.plural, namespace if rtype.namespaced else "", name)


def _parse_body(req, yaml_ok=False):
    if not req.body:
        raise bad_request("the body of the request is empty")
    text = req.body.decode("utf-8", "replace")
    try:
        if yaml_ok or "yaml" in (req.content_type or ""):
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, yaml.YAMLError) as e:
        raise bad_request("error decoding %s body: %s" % (
            "YAML" if yaml_ok else "JSON", str(e).splitlines()[0]))
    return data


def _strip_volatile(obj):
    """The object without what changes on every write, to tell a no-op from a change."""
    out = copy.deepcopy(obj)
    md = out.get("metadata", {})
    md.pop("resourceVersion", None)
    for e in md.get("managedFields") or []:
        e.pop("time", None)
    return out


def _spec_part(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


class Api:
    def __init__(self, registry, store, issuer, options):
        self.registry = registry
        self.store = store
        self.issuer = issuer
        self.options = options  # a dict: pod_ready_seconds, token_lifetime_cap, ...
        self.controllers = None

    # --- helpers ---------------------------------------------------------------------------

    def render(self, rtype, version, obj, in_list=False):
        out = copy.deepcopy(obj)
        if in_list and rtype.builtin:
            # Like the real server, built-in list items carry no apiVersion/kind.
            out.pop("apiVersion", None)
            out.pop("kind", None)
            return out
        out["apiVersion"] = rtype.api_version(version)
        out["kind"] = rtype.kind
        return out

    def list_keys(self, rtype, version):
        return fieldsets.ListKeys(rtype, version)

    def namespace_obj(self, name):
        return self.store.get(("", "namespaces", "", name))

    def require_namespace(self, rtype, namespace, creating):
        if not rtype.namespaced:
            return
        ns = self.namespace_obj(namespace)
        ns_type = self.registry.lookup("", "v1", "namespaces")
        if ns is None:
            raise errors.not_found(ns_type, namespace)
        if creating and ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", "%s \"%s\" is forbidden: unable to create new content "
                           "in namespace %s because it is being terminated"
                           % (errors.qualified(rtype), "", namespace),
                           {"kind": rtype.plural, "causes": [{
                               "reason": "NamespaceTerminating",
                               "message": "namespace %s is being terminated" % namespace,
                               "field": "metadata.namespace"}]})

    def existing(self, rtype, namespace, name):
        obj = self.store.get(_key(rtype, namespace, name))
        if obj is None:
            raise errors.not_found(rtype, name)
        return obj

    def check_identity(self, req, obj, need_kind):
        """apiVersion/kind of the body against the URL; namespace and name against the URL."""
        if not isinstance(obj, dict):
            raise bad_request("the body of the request must be an object")
        want_av = req.rtype.api_version(req.version)
        av, kind = obj.get("apiVersion"), obj.get("kind")
        if need_kind and (not av or not kind):
            raise bad_request("Object 'Kind' is missing in '%s'" % json.dumps(obj)[:200]
                              if not kind else "Object 'apiVersion' is missing")
        if av and av != want_av:
            group = av.rpartition("/")[0]
            if group != req.rtype.group or av.rpartition("/")[2] not in req.rtype.versions:
                raise bad_request("the API version in the data (%s) does not match the expected "
                                  "API version (%s)" % (av, want_av))
        if kind and kind != req.rtype.kind:
            raise bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is '
                              'registered for version "%s"' % (kind, req.version, req.rtype.kind,
                                                               kind, want_av))
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise bad_request("metadata must be an object")
        if req.rtype.namespaced:
            if md.get("namespace") and md["namespace"] != req.namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            md["namespace"] = req.namespace
        else:
            md.pop("namespace", None)
        if req.name is not None:
            if md.get("name") and md["name"] != req.name:
                raise bad_request("the name of the object (%s) does not match the name on the URL "
                                  "(%s)" % (md["name"], req.name))
            md["name"] = req.name
        obj["apiVersion"], obj["kind"] = want_av, req.rtype.kind

    def validate(self, req, obj):
        rtype = req.rtype
        causes = validation.metadata_causes(rtype.kind, obj.get("metadata", {}))
        if not rtype.builtin:
            problems, unknown = validation.check_custom_object(rtype.schemas.get(req.version), obj)
            causes += [(f, "FieldValueInvalid", m) for f, m in problems]
            self.unknown_fields(req, unknown)
        if rtype.kind == "Deployment":
            causes += _deployment_causes(obj)
        if causes:
            raise errors.invalid(rtype.kind, rtype.group, obj["metadata"].get("name", ""), causes)

    def unknown_fields(self, req, unknown):
        if not unknown:
            return
        mode = req.q("fieldValidation", "Warn")
        if mode == "Strict":
            raise bad_request('.%s: field not declared in schema' % unknown[0]
                              if len(unknown) == 1 else "[" + ", ".join(
                                  ".%s: field not declared in schema" % u for u in unknown) + "]")
        if mode != "Ignore":
            req.warnings += ['unknown field "%s"' % u for u in unknown]

    def finish(self, req, old, new, subresource=None):
        """Server-owned metadata, defaults, generation; returns the object to store."""
        rtype = req.rtype
        md = new.setdefault("metadata", {})
        if old is None:
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = now_iso()
            if rtype.has_generation:
                md["generation"] = 1
            if "status" in rtype.subresources and rtype.kind != "Namespace":
                new.pop("status", None)
        else:
            omd = old["metadata"]
            for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp",
                      "deletionGracePeriodSeconds"):
                if k in omd:
                    md[k] = omd[k]
                else:
                    md.pop(k, None)
            if subresource != "status" and "status" in rtype.subresources:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            if rtype.has_generation and _spec_part(old) != _spec_part(new):
                md["generation"] = omd.get("generation", 1) + 1
        if self.controllers:
            self.controllers.default(rtype, new, old)
        return new

    def write(self, req, old, new, subresource=None, manager=None):
        """Records field ownership and stores `new` (unless it is a no-op or a dry run)."""
        rtype = req.rtype
        api_version = rtype.api_version(req.version)
        if manager is not False:
            # An update that changes nothing is a no-op: no new resourceVersion, no owner change.
            if old is not None and _strip_volatile(_without_mf(old)) == \
                    _strip_volatile(_without_mf(new)):
                return old, False
            fieldsets.record_update(old, new, manager or req.field_manager, api_version,
                                    self.list_keys(rtype, req.version), subresource)
        return self.commit(rtype, old, new, dry_run=req.dry_run)

    def commit(self, rtype, old, new, dry_run=False):
        if dry_run:
            return new, True
        if old is not None and _strip_volatile(old) == _strip_volatile(new):
            return old, False
        new["metadata"]["resourceVersion"] = str(self.store.next_rv())
        new.pop("apiVersion", None)
        new["apiVersion"] = rtype.api_version(rtype.versions[0])
        new["kind"] = rtype.kind
        key = _key(rtype, new["metadata"].get("namespace", ""), new["metadata"]["name"])
        self.store.put(key, new)
        if self.controllers:
            self.controllers.after_write(rtype, old, new)
        return new, True

    # --- verbs -----------------------------------------------------------------------------

    def get(self, req):
        if req.subresource == "scale":
            return 200, _scale(self.existing(req.rtype, req.namespace, req.name))
        return 200, self.render(req.rtype, req.version,
                                self.existing(req.rtype, req.namespace, req.name))

    def selected(self, req):
        """(list resourceVersion, matching objects) for a list or a watch."""
        labels = selection.parse_labels(req.q("labelSelector", ""))
        fields = selection.parse_fields(req.q("fieldSelector", ""))
        ns = req.namespace if req.rtype.namespaced and req.namespace else None
        items = [(k, o) for k, o in self.store.items(req.rtype.group, req.rtype.plural, ns)
                 if selection.labels_match(labels, o["metadata"].get("labels")) and
                 selection.fields_match(fields, o)]
        return labels, fields, items

    def list(self, req):
        _, _, items = self.selected(req)
        list_rv = self.store.rv
        start = None
        if req.q("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(req.q("continue").encode()))
                list_rv, start = int(token["rv"]), tuple(token["start"])
            except (ValueError, KeyError, TypeError):
                raise bad_request("continue key is not valid: the provided continue parameter "
                                  "is malformed")
            if list_rv < self.store.compacted_rv:
                raise errors.gone(
                    "The provided continue parameter is too old to display a consistent list "
                    "result. You can start a new list without the continue parameter, or use "
                    "the continue token in this response to retrieve the remainder of the "
                    "results. Continuing with the provided token results in an inconsistent "
                    "list - objects that were created, modified, or deleted between the time "
                    "the first chunk was returned and now may show up in the list.")
            items = [(k, o) for k, o in items if (k[2], k[3]) > start]
        limit = int(req.q("limit") or 0)
        meta = {"resourceVersion": str(list_rv)}
        if limit > 0 and len(items) > limit:
            last = items[limit - 1][0]
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"v": "meta.k8s.io/v1", "rv": list_rv, "start": [last[2], last[3]]}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return 200, {"kind": req.rtype.kind + "List",
                     "apiVersion": req.rtype.api_version(req.version), "metadata": meta,
                     "items": [self.render(req.rtype, req.version, o, in_list=True)
                               for _, o in items]}

    def create(self, req):
        if req.subresource == "token":
            return self.token_request(req)
        if req.rtype.plural == "tokenreviews":
            return self.token_review(req)
        if "create" not in req.rtype.verbs:
            raise errors.method_not_allowed()
        obj = _parse_body(req)
        self.check_identity(req, obj, need_kind=not req.rtype.builtin)
        md = obj["metadata"]
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + random_suffix()
        self.require_namespace(req.rtype, req.namespace, creating=True)
        self.validate(req, obj)
        if self.store.get(_key(req.rtype, req.namespace, md["name"])) is not None:
            raise errors.already_exists(req.rtype, md["name"])
        for k in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields",
                  "deletionTimestamp", "selfLink"):
            md.pop(k, None)
        new = self.finish(req, None, obj)
        stored, _ = self.write(req, None, new)
        return 201, self.render(req.rtype, req.version, stored)

    def update(self, req):
        if req.subresource == "scale":
            return self.update_scale(req, _parse_body(req))
        if req.subresource not in (None, "status"):
            raise errors.method_not_allowed()
        obj = _parse_body(req)
        self.check_identity(req, obj, need_kind=not req.rtype.builtin)
        old = self.existing(req.rtype, req.namespace, req.name)
        rv = obj["metadata"].get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise errors.stale_update(req.rtype, req.name)
        if req.subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = obj.get("status")
            if new["status"] is None:
                new.pop("status")
        else:
            new = obj
            new["metadata"]["managedFields"] = copy.deepcopy(
                old["metadata"].get("managedFields") or [])
        self.validate(req, new)
        new = self.finish(req, old, new, req.subresource)
        stored, _ = self.write(req, old, new, req.subresource)
        stored = self.maybe_finalize(req.rtype, stored)
        return 200, self.render(req.rtype, req.version, stored)

    def patch(self, req):
        ctype = (req.content_type or "").split(";")[0].strip()
        if ctype == "application/apply-patch+yaml":
            return self.apply(req)
        if req.q("force") is not None:
            raise errors.invalid("PatchOptions", "meta.k8s.io", "", [(
                "force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply "
                "patch")])
        if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json",
                         "application/json-patch+json"):
            raise errors.unsupported_media_type(ctype)
        if ctype == "application/strategic-merge-patch+json" and not req.rtype.builtin:
            raise errors.unsupported_media_type(ctype)
        patch = _parse_body(req)
        if req.subresource == "scale":
            current = _scale(self.existing(req.rtype, req.namespace, req.name))
            return self.update_scale(req, patches.merge_patch(current, patch)
                                     if ctype != "application/json-patch+json"
                                     else patches.json_patch(current, patch))
        old = self.existing(req.rtype, req.namespace, req.name)
        current = self.render(req.rtype, req.version, old)
        if ctype == "application/json-patch+json":
            new = patches.json_patch(current, patch)
        elif not isinstance(patch, dict):
            raise bad_request("a merge patch must be a JSON object")
        else:
            rv = (patch.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.stale_update(req.rtype, req.name)
            if ctype == "application/merge-patch+json":
                new = patches.merge_patch(current, patch)
            else:
                new = patches.strategic_merge_patch(current, patch,
                                                    self.list_keys(req.rtype, req.version))
        if not isinstance(new, dict):
            raise bad_request("the patch did not produce an object")
        new.setdefault("metadata", {})["name"] = req.name
        self.check_identity(req, new, need_kind=True)
        if req.subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            new["status"] = status
            if status is None:
                new.pop("status")
        new["metadata"]["managedFields"] = copy.deepcopy(old["metadata"].get("managedFields") or [])
        self.validate(req, new)
        new = self.finish(req, old, new, req.subresource)
        stored, _ = self.write(req, old, new, req.subresource)
        stored = self.maybe_finalize(req.rtype, stored)
        return 200, self.render(req.rtype, req.version, stored)

    def apply(self, req):
        manager = req.q("fieldManager")
        if not manager:
            raise errors.invalid("PatchOptions", "meta.k8s.io", "", [(
                "fieldManager", "FieldValueRequired", "Required value: is required for apply "
                "patch")])
        if req.subresource not in (None, "status"):
            raise errors.method_not_allowed()
        applied = _parse_body(req, yaml_ok=True)
        self.check_identity(req, applied, need_kind=True)
        with_status = req.subresource == "status"
        if not with_status and "status" in req.rtype.subresources:
            applied.pop("status", None)
        for k in ("resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"):
            applied["metadata"].pop(k, None)
        if applied["metadata"].pop("managedFields", None):
            raise bad_request("metadata.managedFields must be nil")
        if not req.rtype.builtin:
            problems, unknown = validation.check_custom_object(
                req.rtype.schemas.get(req.version), applied)
            self.unknown_fields(req, unknown)
        live = self.store.get(_key(req.rtype, req.namespace, req.name))
        if live is None:
            self.require_namespace(req.rtype, req.namespace, creating=True)
        force = truthy(req.q("force", "false"))
        api_version = req.rtype.api_version(req.version)
        live_view = self.render(req.rtype, req.version, live) if live is not None else None
        new = fieldsets.apply(live_view, applied, manager, api_version, force,
                              self.list_keys(req.rtype, req.version), with_status)
        self.validate(req, new)
        new = self.finish(req, live, new, req.subresource)
        stored, _ = self.write(req, live, new, req.subresource, manager=False)
        stored = self.maybe_finalize(req.rtype, stored)
        return (201 if live is None else 200), self.render(req.rtype, req.version, stored)

    def delete(self, req):
        if req.subresource:
            raise errors.method_not_allowed()
        options = {}
        if req.body and req.body.strip():
            options = _parse_body(req)
            if not isinstance(options, dict):
                raise bad_request("DeleteOptions must be an object")
        obj = self.existing(req.rtype, req.namespace, req.name)
        pre = options.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
            raise errors.conflict(req.rtype, req.name, "Precondition failed: UID in precondition: "
                                  "%s, UID in object meta: %s" % (pre["uid"], obj["metadata"]["uid"]))
        if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(req.rtype, req.name, "Precondition failed: ResourceVersion in "
                                  "precondition: %s, ResourceVersion in object meta: %s"
                                  % (pre["resourceVersion"], obj["metadata"]["resourceVersion"]))
        policy = req.q("propagationPolicy") or options.get("propagationPolicy") or "Background"
        if policy not in ("Background", "Foreground", "Orphan"):
            raise errors.invalid("DeleteOptions", "meta.k8s.io", "", [(
                "propagationPolicy", "FieldValueNotSupported", 'Unsupported value: "%s": '
                'supported values: "Foreground", "Background", "Orphan", "nil"' % policy)])
        if req.dry_run:
            return 200, self.render(req.rtype, req.version, obj)
        result = self.delete_object(req.rtype, obj, policy)
        if result is None:
            return 200, self.deleted_response(req, obj)
        return 200, self.render(req.rtype, req.version, result)

    def deleted_response(self, req, obj):
        if req.rtype.builtin and req.rtype.plural not in ("pods", "namespaces"):
            details = {"name": obj["metadata"]["name"], "kind": req.rtype.plural,
                       "uid": obj["metadata"]["uid"]}
            if req.rtype.group:
                details["group"] = req.rtype.group
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": details}
        return self.render(req.rtype, req.version, obj)

    def delete_object(self, rtype, obj, policy="Background"):
        """Deletes now, or marks for deletion when finalizers (or namespace termination) hold
        the object back; returns the marked object then, None when it is gone."""
        md = obj["metadata"]
        if rtype.plural == "namespaces":
            if md.get("deletionTimestamp"):
                return obj
            new = copy.deepcopy(obj)
            new["metadata"]["deletionTimestamp"] = now_iso()
            new.setdefault("spec", {})["finalizers"] = ["kubernetes"]
            new["status"] = {"phase": "Terminating"}
            stored, _ = self.commit(rtype, obj, new)
            self.controllers.terminate_namespace(md["name"])
            return stored
        if md.get("finalizers"):
            if md.get("deletionTimestamp"):
                return obj
            new = copy.deepcopy(obj)
            new["metadata"]["deletionTimestamp"] = now_iso()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            stored, _ = self.commit(rtype, obj, new)
            return stored
        self.remove(rtype, obj, policy)
        return None

    def remove(self, rtype, obj, policy="Background"):
        md = obj["metadata"]
        key = _key(rtype, md.get("namespace", ""), md["name"])
        if self.store.get(key) is None:
            return
        final = copy.deepcopy(obj)
        final["metadata"]["resourceVersion"] = str(self.store.next_rv())
        self.store.remove(key, final)
        if self.controllers:
            self.controllers.after_delete(rtype, obj, policy)

    def maybe_finalize(self, rtype, obj):
        """An object marked for deletion goes once its last finalizer is removed."""
        md = obj["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers") and \
                rtype.plural != "namespaces":
            self.remove(rtype, obj)
        return obj

    def delete_collection(self, req):
        if "deletecollection" not in req.rtype.verbs:
            raise errors.method_not_allowed()
        _, _, items = self.selected(req)
        policy = req.q("propagationPolicy") or "Background"
        deleted = []
        for _, obj in items:
            if not req.dry_run:
                self.delete_object(req.rtype, obj, policy)
            deleted.append(self.render(req.rtype, req.version, obj, in_list=True))
        return 200, {"kind": req.rtype.kind + "List",
                     "apiVersion": req.rtype.api_version(req.version),
                     "metadata": {"resourceVersion": str(self.store.rv)}, "items": deleted}

    # --- subresources ----------------------------------------------------------------------

    def update_scale(self, req, scale):
        if req.rtype.kind != "Deployment":
            raise errors.method_not_allowed()
        old = self.existing(req.rtype, req.namespace, req.name)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise errors.invalid("Scale", "autoscaling", req.name, [(
                "spec.replicas", "FieldValueInvalid",
                "Invalid value: %s: must be greater than or equal to 0" % replicas)])
        new = copy.deepcopy(old)
        new["spec"]["replicas"] = replicas
        new = self.finish(req, old, new)
        stored, _ = self.write(req, old, new, subresource="scale")
        return 200, _scale(stored)

    def token_request(self, req):
        body = _parse_body(req)
        if not isinstance(body, dict):
            raise bad_request("TokenRequest must be an object")
        sa_type = req.rtype
        sa = self.existing(sa_type, req.namespace, req.name)
        spec = dict(body.get("spec") or {})
        seconds = spec.get("expirationSeconds")
        if seconds is None:
            seconds = 3600
        if not isinstance(seconds, int) or seconds < 600:
            raise errors.invalid("TokenRequest", "authentication.k8s.io", req.name, [(
                "spec.expirationSeconds", "FieldValueInvalid",
                "Invalid value: %s: may not specify a duration less than 10 minutes" % seconds)])
        if seconds > 1 << 32:
            raise errors.invalid("TokenRequest", "authentication.k8s.io", req.name, [(
                "spec.expirationSeconds", "FieldValueInvalid",
                "Invalid value: %s: may not specify a duration larger than 2^32 seconds"
                % seconds)])
        cap = self.options.get("token_lifetime_cap")
        lifetime = min(seconds, cap) if cap else seconds
        audiences = spec.get("audiences") or [self.options["api_audience"]]
        bound = spec.get("boundObjectRef")
        if bound:
            kinds = {"Pod": "pods", "Secret": "secrets"}
            if bound.get("kind") not in kinds:
                raise errors.invalid("TokenRequest", "authentication.k8s.io", req.name, [(
                    "spec.boundObjectRef.kind", "FieldValueNotSupported",
                    'Unsupported value: "%s": supported values: "Pod", "Secret"'
                    % bound.get("kind"))])
            target_type = self.registry.lookup("", "v1", kinds[bound["kind"]])
            target = self.existing(target_type, req.namespace, bound.get("name", ""))
            if bound.get("uid") and bound["uid"] != target["metadata"]["uid"]:
                raise errors.conflict(target_type, bound.get("name"), "the UID in the bound "
                                      "object reference (%s) does not match the UID in record. "
                                      "The object might have been deleted and then recreated"
                                      % bound["uid"])
            bound = dict(bound, uid=target["metadata"]["uid"])
        token, expires = self.issuer.issue(req.namespace, sa, audiences, lifetime, bound)
        spec["audiences"] = audiences
        spec["expirationSeconds"] = lifetime
        if "boundObjectRef" in spec:
            spec["boundObjectRef"] = bound
        return 201, {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                     "metadata": {"name": req.name, "namespace": req.namespace,
                                  "creationTimestamp": None},
                     "spec": spec,
                     "status": {"token": token, "expirationTimestamp": datetime.datetime.fromtimestamp(
                         expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}}

    def token_review(self, req):
        body = _parse_body(req)
        spec = (body or {}).get("spec") or {}
        audiences = spec.get("audiences") or [self.options["api_audience"]]
        claims = None
        for aud in audiences:
            claims = self.issuer.verify(spec.get("token") or "", aud)
            if claims:
                break
        status = {"authenticated": False, "error": "invalid bearer token"}
        if claims:
            k8s = claims["kubernetes.io"]
            status = {"authenticated": True, "audiences": [a for a in claims["aud"]
                                                            if a in audiences],
                      "user": {"username": claims["sub"], "uid": k8s["serviceaccount"]["uid"],
                               "groups": ["system:serviceaccounts",
                                          "system:serviceaccounts:" + k8s["namespace"],
                                          "system:authenticated"]}}
        return 201, {"kind": "TokenReview", "apiVersion": "authentication.k8s.io/v1",
                     "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}


def _without_mf(obj):
    out = dict(obj)
    out["metadata"] = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
    return out


def _scale(deploy):
    md = deploy["metadata"]
    selector = (deploy.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                            "creationTimestamp") if k in md},
            "spec": {"replicas": deploy.get("spec", {}).get("replicas", 1)},
            "status": {"replicas": (deploy.get("status") or {}).get("replicas", 0),
                       "selector": ",".join("%s=%s" % kv for kv in sorted(selector.items()))}}


def _deployment_causes(obj):
    spec = obj.get("spec") or {}
    causes = []
    selector = spec.get("selector")
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not selector:
        causes.append(("spec.selector", "FieldValueRequired", "Required value"))
    else:
        match = selector.get("matchLabels") or {}
        if not match and not selector.get("matchExpressions"):
            causes.append(("spec.selector", "FieldValueInvalid",
                           "Invalid value: \"null\": empty selector is invalid for deployment"))
        if any(labels.get(k) != v for k, v in match.items()):
            causes.append(("spec.template.metadata.labels", "FieldValueInvalid",
                           "Invalid value: %s: `selector` does not match template `labels`"
                           % json.dumps(labels, sort_keys=True)))
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        causes.append(("spec.replicas", "FieldValueInvalid",
                       "Invalid value: %s: must be greater than or equal to 0" % replicas))
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
    if not containers:
        causes.append(("spec.template.spec.containers", "FieldValueRequired", "Required value"))
    return causes


def random_suffix(n=5):
    """The alphabet of generateName suffixes (no vowels, no confusable digits)."""
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(n))
