"""The resource types the server knows (built-in ones and CRDs) and the discovery documents."""
import hashlib
import json
import os
import re
import tempfile

import yaml

_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


class ResourceType:
    def __init__(self, group, versions, plural, kind, namespaced, singular=None, short_names=(),
                 categories=(), subresources=(), schemas=None, builtin=True, has_generation=False,
                 verbs=_VERBS, printer_columns=None):
        self.group = group
        self.versions = versions  # preferred first
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.singular = singular or kind.lower()
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.subresources = set(subresources)
        self.schemas = schemas or {}  # version -> openAPIV3Schema (CRDs only)
        self.builtin = builtin
        self.has_generation = has_generation
        self.verbs = list(verbs)
        self.printer_columns = printer_columns or {}  # version -> additionalPrinterColumns

    @property
    def gkey(self):
        return (self.group, self.plural)

    def api_version(self, version):
        return version if not self.group else self.group + "/" + version

    def __repr__(self):
        return "<%s %s>" % (self.plural, self.group or "core")


def builtin_types():
    core, apps, auth = "", "apps", "authentication.k8s.io"
    return [
        ResourceType(core, ["v1"], "namespaces", "Namespace", False, short_names=["ns"],
                     subresources=["status", "finalize"],
                     verbs=["create", "delete", "get", "list", "patch", "update", "watch"]),
        ResourceType(core, ["v1"], "pods", "Pod", True, short_names=["po"], categories=["all"],
                     subresources=["status"]),
        ResourceType(core, ["v1"], "services", "Service", True, short_names=["svc"],
                     categories=["all"], subresources=["status"]),
        ResourceType(core, ["v1"], "serviceaccounts", "ServiceAccount", True, short_names=["sa"],
                     subresources=["token"]),
        ResourceType(core, ["v1"], "configmaps", "ConfigMap", True, short_names=["cm"]),
        ResourceType(core, ["v1"], "secrets", "Secret", True),
        ResourceType(core, ["v1"], "events", "Event", True, short_names=["ev"]),
        ResourceType(core, ["v1"], "endpoints", "Endpoints", True, singular="endpoints",
                     short_names=["ep"]),
        ResourceType(apps, ["v1"], "deployments", "Deployment", True, short_names=["deploy"],
                     categories=["all"], subresources=["status", "scale"], has_generation=True),
        ResourceType(auth, ["v1"], "tokenreviews", "TokenReview", False, verbs=["create"]),
        ResourceType("apiextensions.k8s.io", ["v1"], "customresourcedefinitions",
                     "CustomResourceDefinition", False, short_names=["crd", "crds"],
                     subresources=["status"], has_generation=True,
                     verbs=["get", "list", "watch"]),
    ]


def _version_priority(v):
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first."""
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (3, 0, 0, v)
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    return (stage, -int(m.group(1)), -int(m.group(3) or 0), v)


def _parse_crd_file(path):
    """The YAML documents of `path`; parsed once per content and kept as JSON in the temp
    directory, since parsing a megabyte of YAML takes a large share of start-up time."""
    with open(path, "rb") as f:
        raw = f.read()
    cache = os.path.join(tempfile.gettempdir(), "kube-apiserver-emulator-crds-%s.json"
                         % hashlib.sha256(raw).hexdigest()[:24])
    try:
        with open(cache) as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    docs = [d for d in yaml.load_all(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if d]
    docs = json.loads(json.dumps(docs, default=str))
    tmp = "%s.%d.tmp" % (cache, os.getpid())
    try:
        with open(tmp, "w") as f:
            json.dump(docs, f)
        os.replace(tmp, cache)
    except OSError:
        pass
    return docs


def load_crds(path):
    """(ResourceType list, CRD objects) from a multi-document YAML of CustomResourceDefinitions."""
    types, crds = [], []
    for doc in _parse_crd_file(path):
        if not isinstance(doc, dict) or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec, names = doc["spec"], doc["spec"]["names"]
        served = [v for v in spec["versions"] if v.get("served", True)]
        versions = sorted((v["name"] for v in served), key=_version_priority)
        subresources = set()
        for v in served:
            subresources.update((v.get("subresources") or {}).keys())
        types.append(ResourceType(
            spec["group"], versions, names["plural"], names["kind"],
            spec.get("scope", "Namespaced") == "Namespaced", singular=names.get("singular"),
            short_names=names.get("shortNames", ()), categories=names.get("categories", ()),
            subresources=subresources, builtin=False, has_generation=True,
            schemas={v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") for v in served},
            printer_columns={v["name"]: v.get("additionalPrinterColumns") or []
                             for v in served}))
        crds.append(doc)
    return types, crds


class Registry:
    def __init__(self, types):
        self.types = list(types)
        self.by_gv_plural = {}
        for t in self.types:
            for v in t.versions:
                self.by_gv_plural[(t.group, v, t.plural)] = t

    def lookup(self, group, version, plural):
        return self.by_gv_plural.get((group, version, plural))

    def by_kind(self, group, kind):
        for t in self.types:
            if t.group == group and t.kind == kind:
                return t
        return None

    def groups(self):
        """[(group, [versions, preferred first])] in a stable order, core ("") excluded."""
        out = {}
        for t in self.types:
            if t.group:
                vs = out.setdefault(t.group, [])
                for v in t.versions:
                    if v not in vs:
                        vs.append(v)
        return [(g, sorted(vs, key=_version_priority)) for g, vs in out.items()]

    # --- discovery documents -----------------------------------------------------------------

    def api_group(self, group):
        for g, versions in self.groups():
            if g == group:
                gvs = [{"groupVersion": g + "/" + v, "version": v} for v in versions]
                return {"kind": "APIGroup", "apiVersion": "v1", "name": g, "versions": gvs,
                        "preferredVersion": gvs[0]}
        return None

    def api_group_list(self):
        groups = []
        for g, _ in self.groups():
            doc = self.api_group(g)
            del doc["kind"], doc["apiVersion"]
            groups.append(doc)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_resource_list(self, group, version):
        resources = []
        for t in self.types:
            if t.group != group or version not in t.versions:
                continue
            entry = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced,
                     "kind": t.kind, "verbs": t.verbs,
                     "storageVersionHash": hashlib.sha256(
                         ("%s/%s/%s" % (t.group, t.versions[0], t.kind)).encode()
                     ).hexdigest()[:12]}
            if t.short_names:
                entry["shortNames"] = t.short_names
            if t.categories:
                entry["categories"] = t.categories
            resources.append(entry)
            for sub in sorted(t.subresources):
                if sub == "finalize":
                    verbs = ["update"]
                elif sub == "token":
                    resources.append({"name": t.plural + "/token", "singularName": "",
                                      "namespaced": True, "group": "authentication.k8s.io",
                                      "version": "v1", "kind": "TokenRequest",
                                      "verbs": ["create"]})
                    continue
                else:
                    verbs = ["get", "patch", "update"]
                sub_entry = {"name": t.plural + "/" + sub, "singularName": "",
                             "namespaced": t.namespaced, "kind": t.kind, "verbs": verbs}
                if sub == "scale":
                    sub_entry.update(group="autoscaling", version="v1", kind="Scale")
                resources.append(sub_entry)
        if not resources:
            return None
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": group + "/" + version if group else version,
                "resources": resources}
