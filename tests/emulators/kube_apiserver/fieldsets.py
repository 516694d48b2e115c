"""Field ownership (metadata.managedFields) and server-side apply, after structured-merge-diff.

A field set is a Python set of paths; a path is a tuple of FieldsV1 keys: "f:<field>" for a map
field, 'k:{"name":"app"}' for the item of an associative list (one keyed by some of its fields),
and "." for "the list item itself". Lists without keys are atomic: the whole list is one leaf.
Which lists are associative comes from the CRD schema (x-kubernetes-list-type: map) or, for the
built-in kinds, from the patch merge keys of the core API types.
"""
import copy
import datetime
import json

from errors import ApiError

MISSING = object()

# Built-in associative lists by field name: their merge keys (k8s.io/api patchMergeKey).
_BUILTIN_LIST_KEYS = {
    "containers": ["name"], "initContainers": ["name"], "ephemeralContainers": ["name"],
    "volumes": ["name"], "env": ["name"], "imagePullSecrets": ["name"],
    "volumeMounts": ["mountPath"], "conditions": ["type"], "ownerReferences": ["uid"],
    "hostAliases": ["ip"], "topologySpreadConstraints": ["topologyKey", "whenUnsatisfiable"],
}
# Fields no manager owns: identity and bookkeeping set by the server.
_UNTRACKED_METADATA = ("name", "namespace", "uid", "resourceVersion", "generation",
                       "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp",
                       "deletionGracePeriodSeconds")


class ListKeys:
    """Answers "is the list at this field path associative, and by which keys?"."""

    def __init__(self, rtype, version):
        self.builtin = rtype.builtin
        self.schema = rtype.schemas.get(version) if not rtype.builtin else None

    def __call__(self, names):
        if self.builtin:
            if names and names[-1] == "ports":
                return ["containerPort", "protocol"] if "containers" in names or \
                    "initContainers" in names else ["port", "protocol"]
            return _BUILTIN_LIST_KEYS.get(names[-1]) if names else None
        node = self.schema
        for name in names:
            while node and node.get("type") == "array":
                node = node.get("items")
            if not node:
                return None
            props = node.get("properties") or {}
            node = props.get(name) if name in props else node.get("additionalProperties")
            if not isinstance(node, dict):
                return None
        if node and node.get("type") == "array" and node.get("x-kubernetes-list-type") == "map":
            return node.get("x-kubernetes-list-map-keys")
        return None


def _key_values(item, keys):
    out = {}
    for k in keys:
        if k in item:
            out[k] = item[k]
        elif k == "protocol":
            out[k] = "TCP"  # the server-side default, so that `port: 80` and TCP/80 match
    return out


def _key_str(item, keys):
    return "k:" + json.dumps(_key_values(item, keys), sort_keys=True, separators=(",", ":"))


def _is_assoc(value, keys):
    return keys and isinstance(value, list) and all(isinstance(i, dict) for i in value)


def trackable(obj, with_status):
    """The part of `obj` whose fields have owners."""
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if not with_status:
        out.pop("status", None)
    md = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _UNTRACKED_METADATA}
    if md:
        out["metadata"] = md
    else:
        out.pop("metadata", None)
    return out


def field_set(obj, list_keys):
    out = set()

    def walk_map(value, names, prefix):
        if not value and prefix:
            out.add(prefix)
        for k, v in value.items():
            walk_field(v, names + (k,), prefix + ("f:" + k,))

    def walk_field(v, names, path):
        keys = list_keys(names) if isinstance(v, list) else None
        if isinstance(v, dict) and v:
            walk_map(v, names, path)
        elif _is_assoc(v, keys):
            for item in v:
                item_path = path + (_key_str(item, keys),)
                out.add(item_path + (".",))
                walk_map(item, names, item_path)
        else:
            out.add(path)

    walk_map(obj, (), ())
    return out


def value_at(obj, path):
    cur = obj
    for step in path:
        if step == ".":
            return True
        if step.startswith("f:"):
            if not isinstance(cur, dict) or step[2:] not in cur:
                return MISSING
            cur = cur[step[2:]]
        else:
            want = json.loads(step[2:])
            if not isinstance(cur, list):
                return MISSING
            found = [i for i in cur if isinstance(i, dict) and
                     _key_values(i, list(want)) == want]
            if not found:
                return MISSING
            cur = found[0]
    return cur


def remove_at(obj, path):
    """Removes the field (or the whole list item, for a "." path); prunes maps left empty."""
    if path[-1] == ".":
        path = path[:-1]
    parents, cur = [], obj
    for step in path[:-1]:
        parents.append((cur, step))
        cur = value_at(cur, (step,))
        if cur is MISSING:
            return
    last = path[-1]
    if last.startswith("f:"):
        if isinstance(cur, dict):
            cur.pop(last[2:], None)
    else:
        want = json.loads(last[2:])
        if isinstance(cur, list):
            cur[:] = [i for i in cur if _key_values(i, list(want)) != want]
    # An emptied map that nobody set explicitly disappears, as in structured-merge-diff.
    while parents and isinstance(cur, (dict, list)) and not cur:
        parent, step = parents.pop()
        if step.startswith("f:") and isinstance(parent, dict):
            parent.pop(step[2:], None)
        cur = parent


def merge(live, applied, list_keys, names=()):
    """The applied configuration laid over the live object (maps and keyed lists merge)."""
    if not isinstance(live, dict) or not isinstance(applied, dict):
        return copy.deepcopy(applied)
    out = copy.deepcopy(live)
    for k, v in applied.items():
        sub = names + (k,)
        keys = list_keys(sub) if isinstance(v, list) else None
        if k in out and isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = merge(out[k], v, list_keys, sub)
        elif k in out and _is_assoc(v, keys) and _is_assoc(out[k], keys):
            items = list(out[k])
            for item in v:
                kv = _key_values(item, keys)
                idx = [n for n, cur in enumerate(items) if _key_values(cur, keys) == kv]
                if idx:
                    items[idx[0]] = merge(items[idx[0]], item, list_keys, sub)
                else:
                    items.append(copy.deepcopy(item))
            out[k] = items
        else:
            out[k] = copy.deepcopy(v)
    return out


# --- FieldsV1 encoding -----------------------------------------------------------------------

def encode(paths):
    tree = {}
    for path in paths:
        node = tree
        for step in path:
            node = node.setdefault(step, {})
    return tree


def decode(tree, prefix=()):
    out = set()
    for key, child in (tree or {}).items():
        if key == ".":
            out.add(prefix + (".",))
        elif not child:
            out.add(prefix + (key,))
        else:
            out |= decode(child, prefix + (key,))
    return out


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entries(obj):
    out = []
    for e in (obj or {}).get("metadata", {}).get("managedFields") or []:
        if isinstance(e, dict) and e.get("manager") is not None:
            out.append((e, decode(e.get("fieldsV1"))))
    return out


def _store(obj, entries):
    fields = []
    for e, s in entries:
        if not s:
            continue
        e = dict(e)
        e["fieldsType"] = "FieldsV1"
        e["fieldsV1"] = encode(sorted(s))
        fields.append(e)
    if fields:
        obj.setdefault("metadata", {})["managedFields"] = fields
    else:
        obj.get("metadata", {}).pop("managedFields", None)


def _is_under(path, prefix):
    return path[:len(prefix)] == prefix


def record_update(old, new, manager, api_version, list_keys, subresource=None):
    """Sets new.metadata.managedFields after a create/update/patch by `manager`: it owns what
    it changed; other managers lose what changed or disappeared."""
    with_status = subresource == "status"
    old_set = field_set(trackable(old, with_status), list_keys) if old else set()
    new_set = field_set(trackable(new, with_status), list_keys)
    changed = {p for p in new_set if p not in old_set or value_at(old, p) != value_at(new, p)}
    removed = old_set - new_set
    entries, mine = [], None
    for e, s in _entries(old):
        s = s - removed
        if e["manager"] == manager and e["operation"] == "Update" and \
                e.get("subresource") == subresource:
            mine = (e, s)
            continue
        entries.append((e, s - changed))
    if changed or mine:
        e = {"manager": manager, "operation": "Update", "apiVersion": api_version, "time": _now()}
        if subresource:
            e["subresource"] = subresource
        entries.append((e, (mine[1] if mine else set()) | changed))
    _store(new, entries)


def _render_path(path):
    out = ""
    for step in path:
        if step.startswith("f:"):
            out += "." + step[2:]
        elif step.startswith("k:"):
            out += "[" + ",".join("%s=%s" % (k, json.dumps(v)) for k, v in
                                  json.loads(step[2:]).items()) + "]"
    return out


def apply(live, applied, manager, api_version, force, list_keys, with_status=False):
    """Server-side apply of `applied` by `manager` over `live` (None when creating).
    Returns the new object with its managedFields; raises a 409 on ownership conflicts."""
    applied_set = field_set(trackable(applied, with_status), list_keys)
    if live is None:
        result = copy.deepcopy(applied)
        _store(result, [({"manager": manager, "operation": "Apply", "apiVersion": api_version,
                          "time": _now()}, applied_set)])
        return result
    entries, previous = [], set()
    conflicts = {}
    for e, s in _entries(live):
        if e["manager"] == manager and e["operation"] == "Apply":
            previous = s
            continue
        clash = {p for p in s & applied_set
                 if p[-1] != "." and value_at(live, p) != value_at(applied, p)}
        if clash:
            conflicts.setdefault(e["manager"], (e, set()))[1].update(clash)
            if force:
                s = s - clash
        entries.append((e, s))
    if conflicts and not force:
        raise _apply_conflict(conflicts)
    result = merge(live, applied, list_keys)
    others = set().union(*(s for _, s in entries)) if entries else set()
    # What this manager applied before but omits now goes away unless someone else owns it.
    for path in sorted(previous - applied_set, key=len, reverse=True):
        prefix = path[:-1] if path[-1] == "." else path
        if any(_is_under(o, prefix) for o in others | applied_set):
            continue
        remove_at(result, path)
    entries.append(({"manager": manager, "operation": "Apply", "apiVersion": api_version,
                     "time": _now()}, applied_set))
    _store(result, entries)
    return result


def _apply_conflict(conflicts):
    n = sum(len(s) for _, s in conflicts.values())
    causes, parts = [], []
    for manager, (e, paths) in sorted(conflicts.items()):
        using = " using " + e["apiVersion"] if e.get("apiVersion") else ""
        rendered = sorted(_render_path(p) for p in paths)
        for r in rendered:
            causes.append({"reason": "FieldManagerConflict",
                           "message": 'conflict with "%s"%s' % (manager, using), "field": r})
        if n == 1:
            parts.append('conflict with "%s"%s: %s' % (manager, using, rendered[0]))
        else:
            parts.append('conflicts with "%s"%s:\n%s' % (manager, using,
                                                         "\n".join("- " + r for r in rendered)))
    message = "Apply failed with %d conflict%s: %s" % (n, "" if n == 1 else "s", "\n".join(parts))
    return ApiError(409, "Conflict", message, {"causes": causes})
