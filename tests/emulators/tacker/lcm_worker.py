"""Runs LCM operation occurrences in the background, as Tacker's conductor does:
STARTING -> PROCESSING -> COMPLETED, or FAILED_TEMP with an `error` ProblemDetails; then
rollback (ROLLING_BACK -> ROLLED_BACK), retry (-> PROCESSING) and fail (-> FAILED).

Each operation takes --op-seconds. OpenStack VIMs are served by the emulator's own Nova
(servers with addresses from --vm-addresses); Kubernetes VIMs by the Kubernetes API at
--kube-url, from the manifests in the VNF package.
"""
import threading
import time

import yaml

from kube_client import KubeError, SCALABLE_KINDS
from problem import problem
from store import new_id, now_text

OPENSTACK_VIM_TYPES = ("ETSINFV.OPENSTACK_KEYSTONE.V_3", "ETSINFV.OPENSTACK_KEYSTONE.v_3")
KUBERNETES_VIM_TYPES = ("kubernetes", "ETSINFV.KUBERNETES.V_1", "ETSINFV.HELM.V_3")
FINAL_STATES = ("COMPLETED", "FAILED", "ROLLED_BACK")


class OpFailure(Exception):
    """Ends the operation in FAILED_TEMP with this ProblemDetails."""

    def __init__(self, status, detail, title=None):
        super().__init__(detail)
        self.error = problem(status, detail, title)


def vim_kind(vim_infos):
    """'openstack' or 'kubernetes' for an instance's vimConnectionInfo map (first entry,
    like Tacker's select_vim_info); the emulator's own Nova is the default VIM."""
    if not vim_infos:
        return "openstack"
    vim_type = next(iter(vim_infos.values())).get("vimType", "")
    if vim_type in KUBERNETES_VIM_TYPES:
        return "kubernetes"
    if vim_type in OPENSTACK_VIM_TYPES:
        return "openstack"
    return vim_type


class LcmWorker:
    def __init__(self, store, notifier, packages, nova, op_seconds=0.3, boot_timeout=None,
                 kube=None):
        self.store = store
        self.notifier = notifier
        self.packages = packages
        self.nova = nova
        self.op_seconds = op_seconds
        self.boot_timeout = boot_timeout if boot_timeout is not None else max(2.0, 10 * op_seconds)
        self.kube = kube  # KubeClient or None

    # ---- state transitions (store lock held) ------------------------------------------
    def _set_state(self, occ, state, error=None):
        occ["operationState"] = state
        occ["stateEnteredTime"] = now_text()
        if error is not None:
            occ["error"] = error
        elif state in ("PROCESSING", "ROLLING_BACK"):
            occ.pop("error", None)
        self.notifier.lcm_op_occ_changed(occ, self.store.instances[occ["vnfInstanceId"]])

    def start(self, occ):
        """Registers a new STARTING occurrence and runs it in the background."""
        with self.store.lock:
            self.store.occs[occ["id"]] = occ
            self.notifier.lcm_op_occ_changed(occ, self.store.instances[occ["vnfInstanceId"]])
        threading.Thread(target=self._run, args=(occ["id"], "PROCESSING"), daemon=True).start()

    def retry(self, occ_id):
        threading.Thread(target=self._run, args=(occ_id, "PROCESSING"), daemon=True).start()

    def rollback(self, occ_id):
        threading.Thread(target=self._run, args=(occ_id, "ROLLING_BACK"), daemon=True).start()

    def _run(self, occ_id, phase):
        with self.store.lock:
            occ = self.store.occs[occ_id]
            if phase == "PROCESSING" and occ["operationState"] == "STARTING":
                pass  # the state moves after the start delay below
            else:
                self._set_state(occ, phase)
        time.sleep(self.op_seconds / 3)
        with self.store.lock:
            if occ["operationState"] == "STARTING":
                self._set_state(occ, "PROCESSING")
        time.sleep(self.op_seconds * 2 / 3)
        try:
            if phase == "ROLLING_BACK":
                self._roll_back(occ)
                final, error = "ROLLED_BACK", None
            else:
                self._execute(occ)
                final, error = "COMPLETED", None
        except OpFailure as f:
            final, error = ("FAILED_TEMP", f.error)
        except Exception as e:  # a bug or an unexpected backend answer: still FAILED_TEMP
            final, error = "FAILED_TEMP", problem(500, "emulator error: %r" % (e,))
        with self.store.lock:
            if final == "COMPLETED":
                occ.pop("error", None)
            self._set_state(occ, final, error)

    # ---- operations -----------------------------------------------------------------
    def _execute(self, occ):
        op = occ["operation"]
        with self.store.lock:
            inst = self.store.instances[occ["vnfInstanceId"]]
            injected = self.store.take_fail_next(op)
        handler = {"INSTANTIATE": self._instantiate, "TERMINATE": self._terminate,
                   "SCALE": self._scale, "HEAL": self._heal}[op]
        handler(occ, inst, injected)

    def _package(self, inst):
        package = self.packages.get(inst["vnfdId"])
        if package is None:
            raise OpFailure(422, "VnfPackage of vnfdId %s is not found or not operational."
                            % inst["vnfdId"])
        return package

    def _instantiate(self, occ, inst, injected):
        req = occ["operationParams"]
        package = self._package(inst)
        if package.flavours is not None and req["flavourId"] not in package.flavours:
            raise OpFailure(400, "FlavourId %s not found in the vnfd." % req["flavourId"])
        count = package.instances_for_level(req.get("instantiationLevelId"))
        if count is None:
            raise OpFailure(400, "InstantiationLevelId %s not found in the vnfd."
                            % req.get("instantiationLevelId"))
        vims = req.get("vimConnectionInfo") or {}
        kind = vim_kind(vims)
        emu = {"vim": kind, "vnfcs": [], "aspectId": package.aspectId,
               "maxScaleLevel": package.maxInstances - 1, "vduId": package.vduId}
        if kind == "openstack":
            # Retry after a partial failure starts from what the failed attempt left.
            occ.setdefault("_emu", {}).setdefault("created", [])
            self._create_servers(occ, inst, package.vduId, count, injected)
            emu["vnfcs"] = list(occ["_emu"]["created"])
        elif kind == "kubernetes":
            emu.update(self._kube_instantiate(occ, inst, package, count, injected))
        else:
            raise OpFailure(422, "vimType %s is not supported." % kind)
        with self.store.lock:
            inst["_emu"] = emu
            inst["instantiationState"] = "INSTANTIATED"
            inst["vimConnectionInfo"] = vims or {"default": {
                "vimId": "emulated-nova", "vimType": OPENSTACK_VIM_TYPES[0]}}
            self._refresh_info(inst, req["flavourId"])
            occ["resourceChanges"] = {"affectedVnfcs": [
                self._affected(v, "ADDED") for v in emu["vnfcs"]]}

    def _terminate(self, occ, inst, injected):
        emu = inst.get("_emu", {})
        if injected:
            raise OpFailure(422, injected, "Stack delete failed")
        if emu.get("vim") == "kubernetes":
            self._kube_delete_all(inst, occ["operationParams"])
        else:
            for vnfc in emu.get("vnfcs", []):
                self.nova.delete_server(vnfc["resourceId"])
        with self.store.lock:
            occ["resourceChanges"] = {"affectedVnfcs": [
                self._affected(v, "REMOVED") for v in emu.get("vnfcs", [])]}
            inst["instantiationState"] = "NOT_INSTANTIATED"
            inst.pop("instantiatedVnfInfo", None)
            inst.pop("vimConnectionInfo", None)
            inst.pop("_emu", None)

    def _scale(self, occ, inst, injected):
        req = occ["operationParams"]
        emu = inst["_emu"]
        steps = req.get("numberOfSteps", 1)
        before = list(emu["vnfcs"])
        if req["type"] == "SCALE_OUT":
            target = len(before) + steps
        else:
            target = len(before) - steps
        occ.setdefault("_emu", {})["before"] = before
        if emu["vim"] == "kubernetes":
            if injected:
                raise OpFailure(400, injected, "Scale failed")
            self._kube_scale(inst, target)
            added = [v for v in emu["vnfcs"] if v not in before]
            removed = [v for v in before if v not in emu["vnfcs"]]
        elif req["type"] == "SCALE_OUT":
            occ["_emu"].setdefault("created", [])
            self._create_servers(occ, inst, emu["vduId"], steps, injected)
            added, removed = list(occ["_emu"]["created"]), []
            with self.store.lock:
                emu["vnfcs"] = before + added
        else:
            if injected:
                raise OpFailure(422, injected, "Stack update failed")
            removed = before[target:]
            for vnfc in removed:
                self.nova.delete_server(vnfc["resourceId"])
            added = []
            with self.store.lock:
                emu["vnfcs"] = before[:target]
        with self.store.lock:
            self._refresh_info(inst)
            occ["resourceChanges"] = {"affectedVnfcs": (
                [self._affected(v, "ADDED") for v in added] +
                [self._affected(v, "REMOVED") for v in removed])}

    def _heal(self, occ, inst, injected):
        req = occ["operationParams"]
        emu = inst["_emu"]
        wanted = req.get("vnfcInstanceId")
        targets = [v for v in emu["vnfcs"]
                   if wanted is None or "%s-%s" % (v["vduId"], v["id"]) in wanted]
        if injected:
            raise OpFailure(422, injected, "Stack update failed")
        changes = []
        for vnfc in targets:
            if emu["vim"] == "kubernetes":
                # Tacker deletes the pod and lets its controller re-create it.
                if vnfc["type"] == "Pod" and self.kube is not None:
                    self.kube.delete({"apiVersion": "v1", "kind": "Pod",
                                      "metadata": {"name": vnfc["resourceId"]}},
                                     emu["namespace"])
                changes.append(self._affected(vnfc, "MODIFIED"))
                continue
            old = self.nova.get_server(vnfc["resourceId"])
            address = self.nova.server_address(old) if old else None
            self.nova.delete_server(vnfc["resourceId"], release_address=False)
            server = self.nova.create_server(old["name"] if old else "healed",
                                             inst["id"], address=address)
            if not self._wait_active([server["id"]]):
                raise OpFailure(422, "Resource UPDATE failed: server %s did not become ACTIVE"
                                % server["id"], "Stack update failed")
            with self.store.lock:
                changes.append(self._affected(vnfc, "REMOVED"))
                vnfc_new = dict(vnfc, id=new_id(), resourceId=server["id"])
                emu["vnfcs"][emu["vnfcs"].index(vnfc)] = vnfc_new
                changes.append(self._affected(vnfc_new, "ADDED"))
        with self.store.lock:
            self._refresh_info(inst)
            occ["resourceChanges"] = {"affectedVnfcs": changes}

    # ---- rollback -------------------------------------------------------------------
    def _roll_back(self, occ):
        with self.store.lock:
            inst = self.store.instances[occ["vnfInstanceId"]]
        created = occ.get("_emu", {}).get("created", [])
        for vnfc in created:
            self.nova.delete_server(vnfc["resourceId"])
        with self.store.lock:
            occ["_emu"]["created"] = []
            if occ["operation"] == "SCALE" and "before" in occ["_emu"]:
                inst["_emu"]["vnfcs"] = occ["_emu"]["before"]
                self._refresh_info(inst)

    # ---- OpenStack (emulated Nova) ----------------------------------------------------
    def _create_servers(self, occ, inst, vdu_id, count, injected):
        created = occ["_emu"]["created"]
        for vnfc in [v for v in created
                     if (self.nova.get_server(v["resourceId"]) or {}).get("status") == "ERROR"]:
            self.nova.delete_server(vnfc["resourceId"])  # a retry replaces failed servers
            created.remove(vnfc)
        name_base = inst.get("vnfInstanceName") or inst["id"]
        existing = len(inst.get("_emu", {}).get("vnfcs", []))
        while len(created) < count:
            index = existing + len(created)
            server = self.nova.create_server("%s-%s-%d" % (name_base, vdu_id, index), inst["id"])
            with self.store.lock:
                created.append({"id": new_id(), "vduId": vdu_id, "resourceId": server["id"],
                                "type": "OS::Nova::Server"})
        if injected:
            if created:
                self.nova.set_status(created[-1]["resourceId"], "ERROR")
            raise OpFailure(422, "Resource CREATE failed: %s" % injected, "Stack create failed")
        if not self._wait_active([v["resourceId"] for v in created]):
            raise OpFailure(422, "Resource CREATE failed: a server did not become ACTIVE within "
                            "%.1f s" % self.boot_timeout, "Stack create failed")

    def _wait_active(self, server_ids):
        """Servers boot at the end of the operation; a never_boot one stays in BUILD."""
        deadline = time.time() + self.boot_timeout
        for sid in server_ids:
            self.nova.boot(sid)
        while time.time() < deadline:
            if all((self.nova.get_server(s) or {}).get("status") == "ACTIVE" for s in server_ids):
                return True
            time.sleep(0.05)
        return False

    # ---- Kubernetes ---------------------------------------------------------------
    def _kube_objects(self, package, files, namespace_param):
        missing = set(files) - package.artifact_files()
        if missing:
            raise OpFailure(400, "'%s' do not exist in vnf artifact files"
                            % ",".join(sorted(missing)))
        objects = []
        for path in files:
            try:
                docs = list(yaml.safe_load_all(package.read_artifact(path)))
            except yaml.YAMLError as e:
                raise OpFailure(400, "manifest %s is not valid YAML: %s" % (path, e))
            objects.extend(d for d in docs if d)
        namespaces = {o.get("metadata", {}).get("namespace") for o in objects} - {None}
        if len(namespaces) > 1:
            raise OpFailure(400, "There are multiple namespaces in the manifest file. Only one"
                            "namespace can be used in one VNF.")
        namespace = namespace_param or (namespaces.pop() if namespaces else "default")
        for o in objects:
            o.setdefault("metadata", {})
            if "namespace" in o["metadata"] or o.get("kind") != "Namespace":
                o["metadata"]["namespace"] = namespace
        return objects, namespace

    def _kube_instantiate(self, occ, inst, package, count, injected):
        params = occ["operationParams"].get("additionalParams") or {}
        files = params.get("lcm-kubernetes-def-files")
        if not isinstance(files, list) or not files:
            raise OpFailure(400, "additionalParams 'lcm-kubernetes-def-files' (a list of "
                            "manifest paths in the VNF package) is required for a "
                            "Kubernetes VIM.")
        objects, namespace = self._kube_objects(package, files, params.get("namespace"))
        if self.kube is None:
            raise OpFailure(422, "the emulated Tacker has no Kubernetes API (--kube-url)")
        for o in objects:
            if o.get("kind") in SCALABLE_KINDS:
                o.setdefault("spec", {})["replicas"] = count
        try:
            for o in objects:
                self.kube.create(o, namespace)
            if injected:
                raise KubeError("injected", injected)
        except KubeError as e:
            raise OpFailure(400, "An error occurred when creating k8s resource. %s" % e)
        emu = {"objects": objects, "namespace": namespace}
        emu["vnfcs"] = self._kube_vnfcs(objects, namespace, package.vduId)
        with self.store.lock:
            emu["metadata"] = {"namespace": namespace, "lcm-kubernetes-def-files": files}
        return emu

    def _kube_vnfcs(self, objects, namespace, vdu_id, previous=()):
        """One VNFC per pod of each scalable resource; the pods' names when the cluster
        runs them, else the resource's name (the cluster has no controllers)."""
        vnfcs = []
        deadline = time.time() + self.op_seconds
        for o in objects:
            if o.get("kind") not in SCALABLE_KINDS:
                continue
            replicas = o["spec"].get("replicas", 1)
            labels = o["spec"].get("selector", {}).get("matchLabels", {})
            pods = []
            while True:
                pods = self.kube.pod_names(namespace, labels) if labels else []
                if len(pods) == replicas or time.time() >= deadline:
                    break
                time.sleep(0.05)
            if len(pods) == replicas:
                names = [(p, "Pod") for p in pods]
            else:
                names = [(o["metadata"]["name"], o["kind"])] * replicas
            known = {v["resourceId"]: v for v in previous if v["type"] == "Pod"}
            for name, kind in names:
                vnfcs.append(known.get(name) or {"id": new_id(), "vduId": vdu_id,
                                                 "resourceId": name, "type": kind})
        return vnfcs

    def _kube_scale(self, inst, target):
        emu = inst["_emu"]
        if target < 0 or self.kube is None:
            raise OpFailure(400, "cannot scale to %d" % target)
        try:
            for o in emu["objects"]:
                if o.get("kind") in SCALABLE_KINDS:
                    o["spec"]["replicas"] = target
                    self.kube.set_replicas(o, emu["namespace"], target)
        except KubeError as e:
            raise OpFailure(400, "An error occurred when updating k8s resource. %s" % e)
        vnfcs = self._kube_vnfcs(emu["objects"], emu["namespace"], emu["vduId"], emu["vnfcs"])
        with self.store.lock:
            emu["vnfcs"] = vnfcs

    def _kube_delete_all(self, inst, req):
        emu = inst["_emu"]
        grace = 0
        if req.get("terminationType") == "GRACEFUL":
            grace = req.get("gracefulTerminationTimeout", 60)
        if self.kube is None:
            raise OpFailure(422, "the emulated Tacker has no Kubernetes API (--kube-url)")
        try:
            for o in reversed(emu["objects"]):
                self.kube.delete(o, emu["namespace"], grace)
        except KubeError as e:
            raise OpFailure(400, "An error occurred when deleting k8s resource. %s" % e)

    # ---- views ----------------------------------------------------------------------
    def _affected(self, vnfc, change):
        return {"id": vnfc["id"], "vduId": vnfc["vduId"], "changeType": change,
                "computeResource": self._resource(vnfc)}

    @staticmethod
    def _resource(vnfc):
        return {"vimConnectionId": "vim", "resourceId": vnfc["resourceId"],
                "vimLevelResourceType": vnfc["type"]}

    def _refresh_info(self, inst, flavour_id=None):
        """Rebuilds instantiatedVnfInfo from the instance's VNFCs."""
        emu = inst["_emu"]
        vim_id = next(iter(inst.get("vimConnectionInfo") or {"vim": None}))
        info = inst.get("instantiatedVnfInfo") or {}
        info = {
            "flavourId": flavour_id or info.get("flavourId"),
            "vnfState": "STARTED",
            "scaleStatus": [{"aspectId": emu["aspectId"],
                             "scaleLevel": max(0, len(emu["vnfcs"]) - 1)}],
            "maxScaleLevels": [{"aspectId": emu["aspectId"],
                                "scaleLevel": emu["maxScaleLevel"]}],
            "vnfcResourceInfo": [],
            "vnfcInfo": [],
        }
        for v in emu["vnfcs"]:
            resource = self._resource(v)
            resource["vimConnectionId"] = vim_id
            info["vnfcResourceInfo"].append({"id": v["id"], "vduId": v["vduId"],
                                             "computeResource": resource})
            info["vnfcInfo"].append({"id": "%s-%s" % (v["vduId"], v["id"]),
                                     "vduId": v["vduId"], "vnfcResourceInfoId": v["id"],
                                     "vnfcState": "STARTED"})
        if emu.get("metadata"):
            info["metadata"] = emu["metadata"]
        inst["instantiatedVnfInfo"] = info
