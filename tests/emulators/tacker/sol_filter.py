"""SOL013 5.2 attribute-based filtering: `filter=(eq,vnfInstanceName,x);(neq,a/b,y)`.

Supports the comparison operators eq, neq, in, nin, cont, ncont, gt, gte, lt, lte; an
attribute path uses '/' between levels. Values may be quoted with single quotes.
"""
import re

from problem import invalid_filter

OPERATORS = {"eq", "neq", "in", "nin", "cont", "ncont", "gt", "gte", "lt", "lte"}
_TERM = re.compile(r"\(([a-z]+),([^,()]+)((?:,(?:'(?:[^']|'')*'|[^,()']*))+)\)")


def _split_values(raw):
    values, pos = [], 0
    for m in re.finditer(r",('(?:[^']|'')*'|[^,()']*)", raw):
        v = m.group(1)
        if v.startswith("'"):
            v = v[1:-1].replace("''", "'")
        values.append(v)
        pos = m.end()
    if pos != len(raw):
        raise invalid_filter()
    return values


def parse(expression):
    """Returns a list of (op, path list, values); raises a 400 ApiError when malformed."""
    terms, pos = [], 0
    while pos < len(expression):
        m = _TERM.match(expression, pos)
        if not m or m.group(1) not in OPERATORS:
            raise invalid_filter()
        terms.append((m.group(1), m.group(2).split("/"), _split_values(m.group(3))))
        pos = m.end()
        if pos < len(expression):
            if expression[pos] != ";":
                raise invalid_filter()
            pos += 1
    if not terms:
        raise invalid_filter()
    return terms


def _lookup(obj, path):
    cur = [obj]
    for key in path:
        nxt = []
        for c in cur:
            if isinstance(c, list):
                c_items = c
            else:
                c_items = [c]
            for item in c_items:
                if isinstance(item, dict) and key in item:
                    nxt.append(item[key])
        cur = nxt
    flat = []
    for c in cur:
        flat.extend(c if isinstance(c, list) else [c])
    return flat


def _as_comparable(actual, value):
    if isinstance(actual, bool):
        return actual, value.lower() == "true"
    if isinstance(actual, (int, float)):
        try:
            return actual, float(value)
        except ValueError:
            return str(actual), value
    return str(actual), value


def _term_matches(obj, op, path, values):
    actuals = _lookup(obj, path)
    def any_match(pred):
        return any(pred(*_as_comparable(a, v)) for a in actuals for v in values)
    if op in ("eq", "in"):
        return any_match(lambda a, v: a == v)
    if op in ("neq", "nin"):
        return not any_match(lambda a, v: a == v)
    if op == "cont":
        return any_match(lambda a, v: isinstance(a, str) and v in a)
    if op == "ncont":
        return not any_match(lambda a, v: isinstance(a, str) and v in a)
    compare = {"gt": lambda a, v: a > v, "gte": lambda a, v: a >= v,
               "lt": lambda a, v: a < v, "lte": lambda a, v: a <= v}[op]
    return any_match(lambda a, v: type(a) is type(v) and compare(a, v))


def matches(obj, terms):
    return all(_term_matches(obj, op, path, values) for op, path, values in terms)
