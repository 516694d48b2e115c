"""SOL003 VNF LCM v2 endpoints (/vnflcm/v2/...), with Tacker's checks, status codes and
ProblemDetails: `Version` header, body schemas, 409 on state conflicts, 202 + Location."""
import copy
import json
import re

import lcm_schemas
import problem
import sol_filter
from lcm_worker import vim_kind
from store import V2, new_id, now_text

SUPPORTED_VERSIONS = ("2.0.0",)
_VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)\.([1-9]\d*|0)$")
API_VERSIONS = {"uriPrefix": "/vnflcm/v2",
                "apiVersions": [{"version": "2.0.0", "isDeprecated": False}]}


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


def check_version(header):
    """Tacker's APIVersion check: missing -> 400, malformed -> 400, unsupported -> 406."""
    if header is None:
        raise problem.version_missing()
    version = header
    if "-" in version:
        items = version.split("-")
        if len(items) == 2 and items[1].startswith("impl:"):
            version = items[0]
        else:
            raise problem.version_invalid(header)
    if not _VERSION_RE.match(version):
        raise problem.version_invalid(version)
    if version not in SUPPORTED_VERSIONS:
        raise problem.version_not_supported(version)


class VnfLcmApi:
    def __init__(self, store, packages, worker, notifier):
        self.store = store
        self.packages = packages
        self.worker = worker
        self.notifier = notifier
        p = V2
        self.routes = [
            (p + "/api_versions", {"GET": self.api_versions}),
            (p + "/vnf_instances", {"GET": self.list_instances, "POST": self.create}),
            (p + "/vnf_instances/([^/]+)", {"GET": self.show, "DELETE": self.delete}),
            (p + "/vnf_instances/([^/]+)/instantiate", {"POST": self.instantiate}),
            (p + "/vnf_instances/([^/]+)/terminate", {"POST": self.terminate}),
            (p + "/vnf_instances/([^/]+)/scale", {"POST": self.scale}),
            (p + "/vnf_instances/([^/]+)/heal", {"POST": self.heal}),
            (p + "/vnf_lcm_op_occs", {"GET": self.list_occs}),
            (p + "/vnf_lcm_op_occs/([^/]+)", {"GET": self.show_occ}),
            (p + "/vnf_lcm_op_occs/([^/]+)/retry", {"POST": self.retry}),
            (p + "/vnf_lcm_op_occs/([^/]+)/rollback", {"POST": self.rollback}),
            (p + "/vnf_lcm_op_occs/([^/]+)/fail", {"POST": self.fail}),
            (p + "/subscriptions", {"GET": self.list_subscriptions,
                                    "POST": self.create_subscription}),
            (p + "/subscriptions/([^/]+)", {"GET": self.show_subscription,
                                            "DELETE": self.delete_subscription}),
        ]
        self.routes = [(re.compile(path + "$"), methods) for path, methods in self.routes]

    def handles(self, path):
        return path.startswith(V2 + "/") or path == V2

    def dispatch(self, req):
        """Tacker's order: route, body and Accept, then the Version header, then the action."""
        for pattern, methods in self.routes:
            m = pattern.match(req.path)
            if not m:
                continue
            handler = methods.get(req.method)
            if handler is None:
                raise problem.method_not_allowed(req.method)
            body = self._body(req)
            accept = req.headers.get("Accept")
            if accept and not _accepts_json(accept):
                raise problem.not_acceptable(accept)
            if handler != self.api_versions:
                check_version(req.headers.get("Version"))
            return handler(req, *m.groups(), body=body)
        raise problem.ApiError(404, "The resource could not be found.")

    @staticmethod
    def _body(req):
        if req.method not in ("POST", "PATCH", "PUT") or not req.body:
            return None
        ctype = (req.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        if ctype not in ("application/json", "text/plain"):
            raise problem.unsupported_content_type(req.headers.get("Content-Type"))
        try:
            return json.loads(req.body)
        except ValueError:
            raise problem.malformed_body()

    # ---- helpers ----------------------------------------------------------------------
    def _inst(self, inst_id):
        inst = self.store.instances.get(inst_id)
        if inst is None:
            raise problem.inst_not_found(inst_id)
        return inst

    def _occ(self, occ_id):
        occ = self.store.occs.get(occ_id)
        if occ is None:
            raise problem.lcmocc_not_found(occ_id)
        return occ

    def _new_occ(self, inst_id, operation, body):
        now = now_text()
        return {"id": new_id(), "operationState": "STARTING", "stateEnteredTime": now,
                "startTime": now, "vnfInstanceId": inst_id, "operation": operation,
                "isAutomaticInvocation": False, "operationParams": copy.deepcopy(body),
                "isCancelPending": False}

    def _start(self, occ):
        self.worker.start(occ)
        return Response(202, None, {"Location": self.store.occ_href(occ["id"])})

    @staticmethod
    def _filtered(items, req):
        expression = req.query.get("filter", [None])[0]
        if expression is None:
            return items
        terms = sol_filter.parse(expression)
        return [i for i in items if sol_filter.matches(i, terms)]

    # ---- endpoints --------------------------------------------------------------------
    def api_versions(self, req, body):
        return Response(200, API_VERSIONS)

    def create(self, req, body):
        lcm_schemas.validate(lcm_schemas.CREATE_VNF, body)
        package = self.packages.get(body["vnfdId"])
        if package is None:
            raise problem.vnfd_not_found(body["vnfdId"])
        inst = {"id": new_id(), "vnfdId": body["vnfdId"],
                "vnfProvider": package.vnfProvider, "vnfProductName": package.vnfProductName,
                "vnfSoftwareVersion": package.vnfSoftwareVersion,
                "vnfdVersion": package.vnfdVersion,
                "instantiationState": "NOT_INSTANTIATED"}
        if body.get("vnfInstanceName"):
            inst["vnfInstanceName"] = body["vnfInstanceName"]
        if body.get("vnfInstanceDescription"):
            inst["vnfInstanceDescription"] = body["vnfInstanceDescription"]
        if body.get("metadata"):
            inst["metadata"] = body["metadata"]
        with self.store.lock:
            self.store.instances[inst["id"]] = inst
            self.notifier.identifier_changed(inst, created=True)
            view = self.store.inst_view(inst)
        return Response(201, view, {"Location": self.store.inst_href(inst["id"])})

    def list_instances(self, req, body):
        with self.store.lock:
            views = [self.store.inst_view(i) for i in self.store.instances.values()]
        return Response(200, self._filtered(views, req))

    def show(self, req, inst_id, body):
        with self.store.lock:
            return Response(200, self.store.inst_view(self._inst(inst_id)))

    def delete(self, req, inst_id, body):
        with self.store.lock:
            inst = self._inst(inst_id)
            if inst["instantiationState"] != "NOT_INSTANTIATED":
                raise problem.inst_instantiated(inst_id)
            if self.store.occ_in_progress(inst_id):
                raise problem.other_op_in_progress(inst_id)
            del self.store.instances[inst_id]
            self.notifier.identifier_changed(inst, created=False)
        return Response(204)

    def instantiate(self, req, inst_id, body):
        lcm_schemas.validate(lcm_schemas.INSTANTIATE_VNF, body)
        with self.store.lock:
            inst = self._inst(inst_id)
            if inst["instantiationState"] != "NOT_INSTANTIATED":
                raise problem.inst_instantiated(inst_id)
            if self.store.occ_in_progress(inst_id):
                raise problem.other_op_in_progress(inst_id)
            return self._start(self._new_occ(inst_id, "INSTANTIATE", body))

    def _instantiated(self, inst_id):
        inst = self._inst(inst_id)
        if inst["instantiationState"] != "INSTANTIATED":
            raise problem.inst_not_instantiated(inst_id)
        if self.store.occ_in_progress(inst_id):
            raise problem.other_op_in_progress(inst_id)
        return inst

    def terminate(self, req, inst_id, body):
        lcm_schemas.validate(lcm_schemas.TERMINATE_VNF, body)
        with self.store.lock:
            self._instantiated(inst_id)
            return self._start(self._new_occ(inst_id, "TERMINATE", body))

    def scale(self, req, inst_id, body):
        lcm_schemas.validate(lcm_schemas.SCALE_VNF, body)
        with self.store.lock:
            inst = self._instantiated(inst_id)
            body.setdefault("numberOfSteps", 1)
            info = inst["instantiatedVnfInfo"]
            level = {s["aspectId"]: s["scaleLevel"] for s in info["scaleStatus"]}
            max_level = {s["aspectId"]: s["scaleLevel"] for s in info["maxScaleLevels"]}
            aspect = body["aspectId"]
            if aspect not in level or aspect not in max_level:
                raise problem.invalid_aspect(aspect)
            steps = body["numberOfSteps"] * (-1 if body["type"] == "SCALE_IN" else 1)
            if not 0 <= level[aspect] + steps <= max_level[aspect]:
                raise problem.invalid_steps(body["numberOfSteps"])
            return self._start(self._new_occ(inst_id, "SCALE", body))

    def heal(self, req, inst_id, body):
        body = {} if body is None else body
        lcm_schemas.validate(lcm_schemas.HEAL_VNF, body)
        with self.store.lock:
            inst = self._instantiated(inst_id)
            is_all = (body.get("additionalParams") or {}).get("all", False)
            if not isinstance(is_all, bool):
                raise problem.validation("additionalParams['all'] must be bool.")
            known = [v["id"] for v in inst["instantiatedVnfInfo"].get("vnfcInfo", [])]
            for vnfc_id in body.get("vnfcInstanceId", []):
                if vnfc_id not in known:
                    raise problem.validation("vnfcInstanceId(%s) does not exist." % vnfc_id)
            return self._start(self._new_occ(inst_id, "HEAL", body))

    def list_occs(self, req, body):
        with self.store.lock:
            views = [self.store.occ_view(o) for o in self.store.occs.values()]
        return Response(200, self._filtered(views, req))

    def show_occ(self, req, occ_id, body):
        with self.store.lock:
            return Response(200, self.store.occ_view(self._occ(occ_id)))

    def _failed_temp(self, occ_id):
        occ = self._occ(occ_id)
        if occ["operationState"] != "FAILED_TEMP":
            raise problem.lcmocc_not_failed_temp(occ_id)
        return occ

    def _vims_of(self, occ):
        if occ["operation"] == "INSTANTIATE":
            return occ["operationParams"].get("vimConnectionInfo")
        return self.store.instances.get(occ["vnfInstanceId"], {}).get("vimConnectionInfo")

    def retry(self, req, occ_id, body):
        with self.store.lock:
            occ = self._failed_temp(occ_id)
            if vim_kind(self._vims_of(occ)) == "kubernetes":
                raise problem.not_supported_operation()
            self.worker.retry(occ_id)
        return Response(202)

    def rollback(self, req, occ_id, body):
        with self.store.lock:
            occ = self._failed_temp(occ_id)
            if vim_kind(self._vims_of(occ)) == "kubernetes":
                raise problem.not_supported_operation()
            if occ["operation"] not in ("INSTANTIATE", "SCALE") or (
                    occ["operation"] == "SCALE" and
                    occ["operationParams"]["type"] != "SCALE_OUT"):
                op = occ["operation"]
                if op == "SCALE":
                    op = occ["operationParams"]["type"]
                raise problem.ApiError(422, "Rollback of %s is not supported." % op)
            self.worker.rollback(occ_id)
        return Response(202)

    def fail(self, req, occ_id, body):
        with self.store.lock:
            occ = self._failed_temp(occ_id)
            self.worker._set_state(occ, "FAILED")
            return Response(200, self.store.occ_view(occ))

    def create_subscription(self, req, body):
        lcm_schemas.validate(lcm_schemas.LCCN_SUBSCRIPTION, body)
        auth = body.get("authentication")
        if auth:
            if "BASIC" in auth["authType"] and auth.get("paramsBasic") is None:
                raise problem.ApiError(400, "ParmasBasic must be specified.")
            if "TLS_CERT" in auth["authType"]:
                raise problem.ApiError(400, "'TLS_CERT' is not supported at the moment.")
        subsc = {"id": new_id(), "callbackUri": body["callbackUri"],
                 "verbosity": body.get("verbosity", "FULL")}
        if body.get("filter"):
            subsc["filter"] = body["filter"]
        if auth:
            subsc["authentication"] = auth
        if not self.notifier.test_callback(body["callbackUri"]):
            raise problem.test_notification_failed()
        with self.store.lock:
            self.store.subscriptions[subsc["id"]] = subsc
            view = self.store.subsc_view(subsc)
        return Response(201, view, {"Location": self.store.subsc_href(subsc["id"])})

    def list_subscriptions(self, req, body):
        with self.store.lock:
            views = [self.store.subsc_view(s) for s in self.store.subscriptions.values()]
        return Response(200, self._filtered(views, req))

    def show_subscription(self, req, subsc_id, body):
        with self.store.lock:
            subsc = self.store.subscriptions.get(subsc_id)
            if subsc is None:
                raise problem.subscription_not_found(subsc_id)
            return Response(200, self.store.subsc_view(subsc))

    def delete_subscription(self, req, subsc_id, body):
        with self.store.lock:
            if self.store.subscriptions.pop(subsc_id, None) is None:
                raise problem.subscription_not_found(subsc_id)
        return Response(204)


def _accepts_json(accept):
    for item in accept.split(","):
        media = item.split(";")[0].strip().lower()
        if media in ("application/json", "application/*", "*/*", "application/problem+json"):
            return True
    return False
