"""HTTPS front end: TLS with optional client certificates, authentication, routing of API paths,
watch streaming, fault injection, the request log and the /_emulator control API."""
import collections
import copy
import http.server
import json
import socket
import ssl
import threading
import time
import traceback
import urllib.parse
import uuid

import errors
import selection
import tables
from api import Request, truthy
from errors import ApiError


class EmulatorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a client opening many connections
    # at once, which then wait a 1 s retransmission.
    request_queue_size = 128

    def __init__(self, address, ssl_context, app):
        super().__init__(address, Handler)
        self.ssl_context = ssl_context
        self.app = app
        self.stopping = threading.Event()

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the connection's own thread, so a slow or broken client
        # never holds up accept().
        try:
            request.settimeout(30)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            tls.settimeout(None)
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass


class RequestLog:
    def __init__(self, limit=2000):
        self.lock = threading.Lock()
        self.entries = collections.deque(maxlen=limit)

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)

    def items(self):
        with self.lock:
            return list(self.entries)

    def clear(self):
        with self.lock:
            self.entries.clear()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-emulator"
    # Headers and body go out in separate writes; with Nagle on, the body waits for the
    # client's delayed ACK (40 ms per request). kube-apiserver (Go) sets TCP_NODELAY too.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # the request log replaces stderr chatter
        pass

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    # --- plumbing --------------------------------------------------------------------------

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, code, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            if isinstance(v, list):
                for item in v:
                    self.send_header(k, item)
            else:
                self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.status_sent = code

    def send_error_status(self, err):
        self.send_json(err.code, err.status(), err.headers)

    def send_text(self, code, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.status_sent = code

    def authenticate(self):
        app = self.server.app
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth[7:].strip()
            if token == app.token:
                return {"username": "admin", "groups": ["system:masters"], "via": "token"}
            claims = app.issuer.verify(token, app.options["api_audience"])
            if claims:
                return {"username": claims["sub"], "groups": ["system:serviceaccounts"],
                        "via": "serviceaccount-token"}
            return None
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            subject = dict(x[0] for x in cert.get("subject", ()))
            orgs = [v for rdn in cert.get("subject", ()) for k, v in rdn if k == "organizationName"]
            return {"username": subject.get("commonName", ""), "groups": orgs, "via": "cert"}
        return None

    # --- dispatch --------------------------------------------------------------------------

    def dispatch(self):
        app = self.server.app
        self.status_sent = None
        started = time.time()
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query,
                                                             keep_blank_values=True).items()}
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        user = self.authenticate()
        control = path == "/_emulator" or path.startswith("/_emulator/")
        entry = None
        if not control:
            entry = {"time": started, "method": self.command, "path": path, "query": query,
                     "content_type": self.headers.get("Content-Type", ""),
                     "accept": self.headers.get("Accept", ""),
                     "field_manager": query.get("fieldManager"),
                     "user_agent": self.headers.get("User-Agent", ""),
                     "user": (user or {}).get("username"), "auth": (user or {}).get("via"),
                     "body": body[:65536].decode("utf-8", "replace")}
            app.requests.add(entry)
        try:
            if user is None:
                raise errors.unauthorized()
            if control:
                return self.control(path, query, body)
            decision = app.faults.decide(self.command, path)
            if decision.latency:
                time.sleep(decision.latency)
            if decision.error is not None:
                raise decision.error
            if (decision.drop or decision.malformed) and not decision.after_apply:
                return self.break_answer(decision, None)
            self.route(path, query, body, decision)
        except ApiError as err:
            self.send_error_status(err)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug here must still answer like the server would
            err = ApiError(500, "InternalError", "Internal error occurred: %s: %s"
                           % (type(exc).__name__, exc))
            traceback.print_exc()
            self.send_error_status(err)
        finally:
            if entry is not None:
                entry["code"] = self.status_sent

    def break_answer(self, decision, body):
        """A dropped connection, or a 200 whose JSON body is cut short."""
        if decision.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.status_sent = "dropped"
            return
        data = json.dumps(body if body is not None else {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}).encode()
        self.send_json(200, data[:max(1, len(data) // 2)])
        self.status_sent = "malformed"

    def answer(self, decision, code, body, headers=None):
        if decision is not None and decision.after_apply and (decision.drop or decision.malformed):
            return self.break_answer(decision, body)
        self.send_json(code, body, headers)

    def route(self, path, query, body, decision):
        app = self.server.app
        registry = app.registry
        method = self.command
        if path in ("/healthz", "/livez", "/readyz"):
            return self.send_text(200, "ok")
        if path == "/version":
            return self.answer(decision, 200, app.version_info)
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["openapi", "v3"]:
            doc = app.openapi(parts[2:])
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self.answer(decision, 200, doc)
        if not parts or parts[0] not in ("api", "apis"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if parts[0] == "api":
            group, rest = "", parts[1:]
            if not rest:
                return self.answer(decision, 200, {
                    "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                        {"clientCIDR": "0.0.0.0/0", "serverAddress": app.address}]})
        else:
            if len(parts) == 1:
                return self.answer(decision, 200, registry.api_group_list())
            group, rest = parts[1], parts[2:]
            if not rest:
                doc = registry.api_group(group)
                if doc is None:
                    raise ApiError(404, "NotFound", "the server could not find the requested "
                                   "resource")
                return self.answer(decision, 200, doc)
        version, rest = rest[0], rest[1:]
        if not rest:
            doc = registry.api_resource_list(group, version)
            if doc is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self.answer(decision, 200, doc)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3 and not (
                len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        if len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        rtype = registry.lookup(group, version, plural)
        if rtype is None or (namespace is not None and not rtype.namespaced) or \
                (sub is not None and sub not in rtype.subresources):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if rtype.namespaced and namespace is None and name is not None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if "protobuf" in self.headers.get("Content-Type", "") and body:
            raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an "
                           "unknown format - accepted media types include: application/json, "
                           "application/yaml (this emulator does not decode protobuf)")
        req = Request(method, rtype, version, namespace, name, sub, query, body,
                      self.headers.get("Content-Type", ""), self.headers.get("User-Agent", ""),
                      self.headers.get("Accept", ""))
        api = app.api
        if method == "GET" and name is None and truthy(query.get("watch", "false")):
            return self.watch(req)
        with app.store.lock:
            if method == "GET":
                code, out = api.get(req) if name is not None else api.list(req)
                out = self.printed(req, out)
            elif method == "POST" and (name is None or sub == "token"):
                code, out = api.create(req)
            elif method == "PUT" and name is not None:
                code, out = api.update(req)
            elif method == "PATCH" and name is not None:
                code, out = api.patch(req)
            elif method == "DELETE":
                code, out = api.delete(req) if name is not None else api.delete_collection(req)
            else:
                raise errors.method_not_allowed()
        headers = {}
        if req.warnings:
            headers["Warning"] = ['299 - "%s"' % w.replace('"', '\\"') for w in req.warnings]
        self.answer(decision, code, out, headers)

    def printed(self, req, out):
        """The Table / PartialObjectMetadata forms when the client asked for them."""
        accept = req.accept
        include = req.q("includeObject", "Metadata")
        if tables.wants(accept, "Table"):
            if out.get("kind", "").endswith("List") and "items" in out:
                objs = [self.server.app.api.render(req.rtype, req.version, o) for o in out["items"]]
                return tables.table(req.rtype, req.version, objs, out["metadata"], include)
            return tables.table(req.rtype, req.version, [out],
                                {"resourceVersion": out["metadata"].get("resourceVersion")}, include)
        if tables.wants(accept, "PartialObjectMetadataList") and "items" in out:
            return {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                    "metadata": out["metadata"], "items": [tables.partial(o) for o in out["items"]]}
        if tables.wants(accept, "PartialObjectMetadata") and "items" not in out:
            return tables.partial(out)
        return out

    # --- watch -----------------------------------------------------------------------------

    def watch(self, req):
        app = self.server.app
        api, store = app.api, app.store
        labels, fields, items = api.selected(req)
        timeout = float(req.q("timeoutSeconds") or 1800)
        bookmarks = truthy(req.q("allowWatchBookmarks", "false"))
        rv = req.q("resourceVersion") or ""
        pending = []
        with store.lock:
            if rv in ("", "0"):
                pending = [{"type": "ADDED", "object": api.render(req.rtype, req.version, o)}
                           for _, o in items]
                cursor = store.rv
            else:
                try:
                    cursor = int(rv)
                except ValueError:
                    raise errors.bad_request('invalid resource version "%s"' % rv)
                if store.changes_after(cursor) is None:
                    pending = [_gone_event(cursor, store)]
                    cursor = None
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.status_sent = 200

        def matches(obj):
            if obj is None:
                return False
            if req.rtype.namespaced and req.namespace and \
                    obj["metadata"].get("namespace") != req.namespace:
                return False
            return selection.labels_match(labels, obj["metadata"].get("labels")) and \
                selection.fields_match(fields, obj)

        deadline = time.time() + timeout
        next_bookmark = time.time() + app.options["bookmark_interval_seconds"]
        try:
            while True:
                for event in pending:
                    self.write_chunk(json.dumps(event).encode() + b"\n")
                pending = []
                if cursor is None or time.time() >= deadline or app.server_stopping():
                    break
                with store.lock:
                    changes = store.changes_after(cursor)
                    if changes is None:
                        pending = [_gone_event(cursor, store)]
                        cursor = None
                        continue
                    if not changes:
                        store.changed.wait(min(0.5, max(0.0, deadline - time.time()),
                                               max(0.01, next_bookmark - time.time())))
                        changes = store.changes_after(cursor) or []
                    for c in changes:
                        cursor = c.rv
                        if c.gkey != req.rtype.gkey:
                            continue
                        now, before = matches(c.obj), matches(c.old)
                        if c.type == "DELETED":
                            kind = "DELETED" if before or now else None
                        elif now and before:
                            kind = "MODIFIED"
                        elif now:
                            kind = "ADDED"
                        elif before:
                            kind = "DELETED"
                        else:
                            kind = None
                        if kind:
                            pending.append({"type": kind, "object": api.render(
                                req.rtype, req.version, c.obj)})
                    if bookmarks and time.time() >= next_bookmark and not pending:
                        cursor = max(cursor, store.rv) if cursor is not None else cursor
                        pending.append({"type": "BOOKMARK", "object": {
                            "kind": req.rtype.kind, "apiVersion": req.rtype.api_version(
                                req.version), "metadata": {"resourceVersion": str(store.rv)}}})
                    if time.time() >= next_bookmark:
                        next_bookmark = time.time() + app.options["bookmark_interval_seconds"]
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # --- control API -----------------------------------------------------------------------

    def control(self, path, query, body):
        app = self.server.app
        what = path[len("/_emulator"):].strip("/")
        method = self.command
        data = None
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError as e:
                raise errors.bad_request("control body is not JSON: %s" % e)
        if what == "objects" and method == "GET":
            with app.store.lock:
                items = []
                for key, obj in sorted(app.store.objects.items()):
                    if query.get("namespace") is not None and key[2] != query["namespace"]:
                        continue
                    if query.get("kind") and obj.get("kind") != query["kind"]:
                        continue
                    items.append(copy.deepcopy(obj))
                return self.send_json(200, {"resourceVersion": str(app.store.rv),
                                            "items": items})
        if what == "requests":
            if method == "GET":
                return self.send_json(200, {"items": app.requests.items()})
            if method == "DELETE":
                app.requests.clear()
                return self.send_json(200, {"cleared": True})
        if what == "faults":
            if method == "GET":
                return self.send_json(200, {"rules": app.faults.describe()})
            if method == "POST":
                try:
                    for rule in data if isinstance(data, list) else [data]:
                        app.faults.add(rule)
                except (ValueError, TypeError, KeyError) as e:
                    raise errors.bad_request("bad fault rule: %s" % e)
                return self.send_json(200, {"rules": app.faults.describe()})
            if method == "DELETE":
                app.faults.clear()
                return self.send_json(200, {"rules": []})
        if what == "reset" and method == "POST":
            app.reset()
            return self.send_json(200, {"reset": True, "resourceVersion": str(app.store.rv)})
        if what == "compact" and method == "POST":
            app.store.compact()
            return self.send_json(200, {"compactedResourceVersion": str(app.store.compacted_rv)})
        if what == "config":
            if method == "POST":
                app.configure(data or {})
            if method in ("GET", "POST"):
                return self.send_json(200, app.config())
        if what == "":
            return self.send_json(200, {"endpoints": [
                "GET objects", "GET|DELETE requests", "GET|POST|DELETE faults", "POST reset",
                "POST compact", "GET|POST config"]})
        raise ApiError(404, "NotFound", "no control endpoint %s %s" % (method, path))


def _gone_event(rv, store):
    return {"type": "ERROR", "object": errors.gone(
        "too old resource version: %d (%d)" % (rv, store.compacted_rv + 1)).status()}
