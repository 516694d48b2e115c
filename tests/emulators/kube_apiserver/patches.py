"""PATCH bodies: JSON merge patch (RFC 7386), strategic merge patch, JSON patch (RFC 6902)."""
import copy

from errors import ApiError, bad_request


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge_patch(target, patch, list_keys, names=()):
    """Merge patch where associative lists (containers, env, ...) merge item by item by their
    key, and `$patch: delete` / `$patch: replace` directives apply."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        sub = names + (k,)
        keys = list_keys(sub) if isinstance(v, list) else None
        if v is None:
            out.pop(k, None)
        elif keys and isinstance(out.get(k), list) and all(isinstance(i, dict) for i in v):
            items = copy.deepcopy(out[k])
            for item in v:
                match = [n for n, cur in enumerate(items)
                         if all(cur.get(key) == item.get(key) for key in keys if key in item)]
                if item.get("$patch") == "delete":
                    items = [i for n, i in enumerate(items) if n not in match]
                elif match:
                    items[match[0]] = strategic_merge_patch(items[match[0]], item, list_keys, sub)
                else:
                    items.append({a: b for a, b in item.items() if a != "$patch"})
            out[k] = items
        else:
            out[k] = strategic_merge_patch(out.get(k), v, list_keys, sub)
    return out


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request('invalid JSON pointer "%s"' % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, tokens, path):
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise ApiError(422, "Invalid", 'the server rejected our request due to an error in '
                           'our request: doc is missing path: "%s"' % path)
    return cur


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(doc)
    for op in ops:
        kind, path = op.get("op"), op.get("path", "")
        tokens = _pointer(path)
        if kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            parent = _parent(doc, src, op.get("from"))
            value = copy.deepcopy(parent[int(src[-1])] if isinstance(parent, list)
                                  else parent[src[-1]])
            if kind == "move":
                doc = json_patch(doc, [{"op": "remove", "path": op["from"]}])
            doc = json_patch(doc, [{"op": "add", "path": path, "value": value}])
            continue
        if not tokens:
            if kind in ("add", "replace"):
                doc = copy.deepcopy(op.get("value"))
                continue
            raise bad_request("unsupported JSON patch operation on the whole document")
        parent, last = _parent(doc, tokens, path), tokens[-1]
        missing = ApiError(422, "Invalid", 'the server rejected our request due to an error in '
                           'our request: %s operation does not apply: doc is missing path: "%s"'
                           % (kind, path))
        if kind == "add":
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                parent.insert(idx, copy.deepcopy(op.get("value")))
            else:
                parent[last] = copy.deepcopy(op.get("value"))
        elif kind in ("remove", "replace", "test"):
            if isinstance(parent, list):
                if not last.isdigit() or int(last) >= len(parent):
                    raise missing
                key = int(last)
            else:
                if last not in parent:
                    raise missing
                key = last
            if kind == "remove":
                del parent[key]
            elif kind == "replace":
                parent[key] = copy.deepcopy(op.get("value"))
            elif parent[key] != op.get("value"):
                raise ApiError(422, "Invalid", "the server rejected our request due to an error "
                               'in our request: testing value %s failed' % path)
        else:
            raise bad_request('unexpected JSON patch operation "%s"' % kind)
    return doc
