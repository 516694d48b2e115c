"""What runs next to a real API server and changes objects on its own: namespace bootstrap
(default ServiceAccount, kube-root-ca.crt, istiod's istio-ca-root-cert), namespace termination,
garbage collection of owned objects, and (with --inject-sidecars) a Deployment controller with
the Istio sidecar injector and a kubelet that makes pods Ready.

They react synchronously inside the write that triggers them (under the store lock); only pod
readiness and namespace finalization happen later, on timers.
"""
import copy
import hashlib
import json
import threading
import uuid

import fieldsets
from api import now_iso, random_suffix

PROXY_IMAGE = "docker.io/istio/proxyv2:1.27.0"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def _template_hash(template):
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:10])


def _owned_by(obj, uid):
    return any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])


class Controllers:
    def __init__(self, api, ca_pem, inject_sidecars):
        self.api = api
        self.store = api.store
        self.registry = api.registry
        self.ca_pem = ca_pem
        self.inject_sidecars = inject_sidecars
        self.next_ip = 0
        self.timers = []

    def t(self, group, plural):
        return self.registry.lookup(group, "v1", plural)

    def create_system(self, rtype, obj, manager):
        obj.setdefault("metadata", {})
        obj["metadata"].update(uid=str(uuid.uuid4()), creationTimestamp=now_iso())
        if rtype.has_generation:
            obj["metadata"]["generation"] = 1
        self.default(rtype, obj, None)
        fieldsets.record_update(None, obj, manager, rtype.api_version(rtype.versions[0]),
                                fieldsets.ListKeys(rtype, rtype.versions[0]))
        return self.api.commit(rtype, None, obj)[0]

    def update_system(self, rtype, old, new, manager, subresource=None):
        fieldsets.record_update(old, new, manager, rtype.api_version(rtype.versions[0]),
                                fieldsets.ListKeys(rtype, rtype.versions[0]), subresource)
        return self.api.commit(rtype, old, new)[0]

    def later(self, seconds, fn):
        def run():
            with self.store.lock:
                fn()
        timer = threading.Timer(seconds, run)
        timer.daemon = True
        timer.start()
        self.timers = [t for t in self.timers if t.is_alive()] + [timer]

    def cancel_timers(self):
        for t in self.timers:
            t.cancel()
        self.timers = []

    # --- bootstrap -------------------------------------------------------------------------

    def bootstrap(self, namespaces):
        ns_type = self.t("", "namespaces")
        for name in namespaces:
            self.create_system(ns_type, {"metadata": {"name": name}}, "kube-apiserver")

    # --- defaults (the API server's own defaulting, on every write) -------------------------

    def default(self, rtype, obj, old):
        md = obj["metadata"]
        if rtype.plural == "namespaces":
            md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
            if not md.get("deletionTimestamp"):
                obj["spec"] = {"finalizers": ["kubernetes"]}
                obj["status"] = {"phase": "Active"}
        elif rtype.plural == "deployments":
            spec = obj.setdefault("spec", {})
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
            spec.setdefault("strategy", {"type": "RollingUpdate", "rollingUpdate": {
                "maxSurge": "25%", "maxUnavailable": "25%"}})
        elif rtype.plural == "services":
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if old is not None and (old.get("spec") or {}).get("clusterIP"):
                spec["clusterIP"] = old["spec"]["clusterIP"]
                spec["clusterIPs"] = old["spec"].get("clusterIPs", [spec["clusterIP"]])
            elif spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
                self.next_ip += 1
                spec["clusterIP"] = "10.96.%d.%d" % (self.next_ip // 250, self.next_ip % 250 + 2)
                spec["clusterIPs"] = [spec["clusterIP"]]
            for port in spec.get("ports") or []:
                if isinstance(port, dict):
                    port.setdefault("protocol", "TCP")
                    port.setdefault("targetPort", port.get("port"))

    # --- reactions -------------------------------------------------------------------------

    def after_write(self, rtype, old, new):
        if rtype.plural == "namespaces" and old is None:
            self.populate_namespace(new["metadata"]["name"])
        elif rtype.plural == "deployments" and self.inject_sidecars:
            self.reconcile_deployment(new)

    def after_delete(self, rtype, obj, policy):
        md = obj["metadata"]
        ns = md.get("namespace", "")
        live_ns = self.api.namespace_obj(ns) if ns else None
        if live_ns is not None and not live_ns["metadata"].get("deletionTimestamp"):
            # istiod, the root CA publisher and the ServiceAccount controller put these back.
            if rtype.plural == "configmaps" and md["name"] in ("istio-ca-root-cert",
                                                               "kube-root-ca.crt"):
                self.populate_namespace(ns)
            elif rtype.plural == "serviceaccounts" and md["name"] == "default":
                self.populate_namespace(ns)
        self.collect_dependents(obj, policy)
        if rtype.plural == "pods" and live_ns is not None and self.inject_sidecars:
            for ref in md.get("ownerReferences") or []:
                if ref.get("kind") == "Deployment":
                    owner = self.store.get(("apps", "deployments", ns, ref.get("name")))
                    if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
                        self.reconcile_deployment(owner)

    def collect_dependents(self, owner, policy):
        """The garbage collector: objects whose ownerReferences name the deleted owner."""
        uid = owner["metadata"]["uid"]
        for key, obj in list(self.store.objects.items()):
            if not _owned_by(obj, uid):
                continue
            rtype = self.registry.lookup(key[0], self.registry_version(key), key[1])
            if policy == "Orphan":
                new = copy.deepcopy(obj)
                new["metadata"]["ownerReferences"] = [
                    r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
                if not new["metadata"]["ownerReferences"]:
                    del new["metadata"]["ownerReferences"]
                self.update_system(rtype, obj, new, "kube-controller-manager")
            else:
                self.api.delete_object(rtype, obj, policy)

    def registry_version(self, key):
        for t in self.registry.types:
            if (t.group, t.plural) == key[:2]:
                return t.versions[0]
        return "v1"

    # --- namespaces ------------------------------------------------------------------------

    def populate_namespace(self, ns):
        cm, sa = self.t("", "configmaps"), self.t("", "serviceaccounts")
        wanted = [
            (cm, "kube-root-ca.crt", {"data": {"ca.crt": self.ca_pem}}, "kube-controller-manager"),
            (cm, "istio-ca-root-cert", {"data": {"root-cert.pem": self.ca_pem}, "metadata": {
                "labels": {"istio.io/config": "true"}}}, "pilot-discovery"),
            (sa, "default", {}, "kube-controller-manager"),
        ]
        for rtype, name, body, manager in wanted:
            if self.store.get(("", rtype.plural, ns, name)) is None:
                obj = copy.deepcopy(body)
                obj.setdefault("metadata", {}).update(name=name, namespace=ns)
                self.create_system(rtype, obj, manager)

    def terminate_namespace(self, ns):
        def finalize():
            ns_obj = self.api.namespace_obj(ns)
            if ns_obj is None or not ns_obj["metadata"].get("deletionTimestamp"):
                return
            for key, obj in list(self.store.objects.items()):
                if key[2] == ns and key[1] != "namespaces" and self.store.get(key) is not None:
                    rtype = self.registry.lookup(key[0], self.registry_version(key), key[1])
                    self.api.remove(rtype, obj)
            self.api.remove(self.t("", "namespaces"), self.api.namespace_obj(ns))
        self.later(self.api.options.get("namespace_finalize_seconds", 0.2), finalize)

    # --- deployments, pods, injection --------------------------------------------------------

    def injection_enabled(self, ns, template):
        ns_labels = (self.api.namespace_obj(ns) or {}).get("metadata", {}).get("labels") or {}
        tmd = template.get("metadata") or {}
        pod_says = (tmd.get("labels") or {}).get("sidecar.istio.io/inject") or \
            (tmd.get("annotations") or {}).get("sidecar.istio.io/inject")
        if pod_says == "false":
            return False
        if ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels:
            return True
        return pod_says == "true" and ns_labels.get("istio-injection") != "disabled"

    def reconcile_deployment(self, deploy):
        md = deploy["metadata"]
        ns, uid = md["namespace"], md["uid"]
        if md.get("deletionTimestamp"):
            return
        pod_type = self.t("", "pods")
        template = (deploy.get("spec") or {}).get("template") or {}
        want = deploy["spec"].get("replicas", 1)
        hash_ = _template_hash(template)
        pods = [o for _, o in self.store.items("", "pods", ns) if _owned_by(o, uid)]
        for pod in pods:  # rolled out at once: pods of an older template go
            if pod["metadata"]["labels"].get("pod-template-hash") != hash_:
                self.api.remove(pod_type, pod)
        current = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == hash_]
        for pod in current[want:]:
            self.api.remove(pod_type, pod)
        for _ in range(want - len(current)):
            self.create_pod(deploy, template, hash_)
        self.update_deployment_status(deploy)

    def create_pod(self, deploy, template, hash_):
        md = deploy["metadata"]
        ns = md["namespace"]
        tmd = copy.deepcopy(template.get("metadata") or {})
        pod = {"metadata": {"name": "%s-%s-%s" % (md["name"], hash_, random_suffix()),
                            "namespace": ns,
                            "labels": dict(tmd.get("labels") or {}, **{"pod-template-hash": hash_}),
                            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "name": md["name"], "uid": md["uid"],
                                                 "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": copy.deepcopy(template.get("spec") or {})}
        if tmd.get("annotations"):
            pod["metadata"]["annotations"] = tmd["annotations"]
        spec = pod["spec"]
        spec.setdefault("serviceAccountName", spec.get("serviceAccount", "default"))
        spec["serviceAccount"] = spec["serviceAccountName"]
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("dnsPolicy", "ClusterFirst")
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec["nodeName"] = "emulated-node"
        for c in spec.get("containers") or []:
            c.setdefault("imagePullPolicy", "IfNotPresent")
        if self.injection_enabled(ns, template):
            self.inject(pod)
        pod["status"] = {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now_iso()}]}
        stored = self.create_system(self.t("", "pods"), pod, "kube-controller-manager")
        name = stored["metadata"]["name"]
        self.later(self.api.options.get("pod_ready_seconds", 0.2),
                   lambda: self.make_ready(ns, name))
        return stored

    def inject(self, pod):
        """What Istio's sidecar injector webhook adds to a pod (classic sidecar mode)."""
        md, spec = pod["metadata"], pod["spec"]
        labels = md["labels"]
        app = labels.get("app") or labels.get("app.kubernetes.io/name") or md["name"]
        labels["security.istio.io/tlsMode"] = "istio"
        labels["service.istio.io/canonical-name"] = app
        labels["service.istio.io/canonical-revision"] = labels.get("version", "latest")
        ports = [p for c in spec.get("containers") or [] for p in c.get("ports") or []]
        spec.setdefault("initContainers", []).append({
            "name": "istio-init", "image": PROXY_IMAGE,
            "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m",
                     "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020",
                     "--log_output_level=default:info"],
            "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"],
                                                 "drop": ["ALL"]},
                                "runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False}})
        spec["containers"].append({
            "name": "istio-proxy", "image": PROXY_IMAGE,
            "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                     "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
                     "--log_output_level=default:info"],
            "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
            "env": [{"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
                    {"name": "CA_ADDR", "value": "istiod.istio-system.svc:15012"},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    {"name": "POD_NAMESPACE",
                     "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                    {"name": "ISTIO_META_APP_CONTAINERS", "value": ",".join(
                        c["name"] for c in spec["containers"])},
                    {"name": "ISTIO_META_WORKLOAD_NAME",
                     "value": md["ownerReferences"][0]["name"]},
                    {"name": "ISTIO_META_MESH_ID", "value": "cluster.local"},
                    {"name": "TRUST_DOMAIN", "value": "cluster.local"},
                    {"name": "ISTIO_KUBE_APP_PROBERS", "value": "{}"},
                    {"name": "ISTIO_META_POD_PORTS", "value": json.dumps(ports)}],
            "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021},
                               "initialDelaySeconds": 0, "periodSeconds": 15,
                               "failureThreshold": 4},
            "securityContext": {"allowPrivilegeEscalation": False, "privileged": False,
                                "readOnlyRootFilesystem": True, "runAsGroup": 1337,
                                "runAsNonRoot": True, "runAsUser": 1337,
                                "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"mountPath": "/var/run/secrets/workload-spiffe-uds",
                              "name": "workload-socket"},
                             {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
                             {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
                             {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
                             {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
                             {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}]})
        spec.setdefault("volumes", []).extend([
            {"name": "workload-socket", "emptyDir": {}},
            {"name": "istio-envoy", "emptyDir": {"medium": "Memory"}},
            {"name": "istio-data", "emptyDir": {}},
            {"name": "istio-podinfo", "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}},
            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
                "audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}},
            {"name": "istiod-ca-cert", "configMap": {"name": "istio-ca-root-cert"}}])
        annotations = md.setdefault("annotations", {})
        annotations["sidecar.istio.io/status"] = json.dumps({
            "initContainers": ["istio-init"], "containers": ["istio-proxy"],
            "volumes": ["workload-socket", "istio-envoy", "istio-data", "istio-podinfo",
                        "istio-token", "istiod-ca-cert"],
            "imagePullSecrets": None, "revision": "default"}, separators=(",", ":"))
        annotations.setdefault("kubectl.kubernetes.io/default-container",
                               spec["containers"][0]["name"])
        annotations["prometheus.io/port"] = "15020"
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/path"] = "/stats/prometheus"

    def make_ready(self, ns, name):
        """The kubelet: the pod runs and all its containers pass their readiness probes."""
        pod = self.store.get(("", "pods", ns, name))
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        self.next_ip += 1
        now = now_iso()
        new = copy.deepcopy(pod)
        spec = new["spec"]
        new["status"] = {
            "phase": "Running", "qosClass": "BestEffort", "hostIP": "192.168.49.2",
            "podIP": "10.244.%d.%d" % (self.next_ip // 250, self.next_ip % 250 + 2),
            "startTime": now,
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                           for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": c["name"], "image": c.get("image", ""), "imageID": "",
                "containerID": "containerd://" + hashlib.sha256(
                    (name + c["name"]).encode()).hexdigest(),
                "ready": True, "started": True, "restartCount": 0,
                "state": {"running": {"startedAt": now}}} for c in spec.get("containers") or []]}
        new["status"]["podIPs"] = [{"ip": new["status"]["podIP"]}]
        if spec.get("initContainers"):
            new["status"]["initContainerStatuses"] = [{
                "name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
                "restartCount": 0, "state": {"terminated": {
                    "exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}}}
                for c in spec["initContainers"]]
        self.update_system(self.t("", "pods"), pod, new, "kubelet", subresource="status")
        for ref in new["metadata"].get("ownerReferences") or []:
            owner = self.store.get(("apps", "deployments", ns, ref.get("name")))
            if owner is not None and owner["metadata"]["uid"] == ref.get("uid"):
                self.update_deployment_status(owner)

    def update_deployment_status(self, deploy):
        md = deploy["metadata"]
        hash_ = _template_hash((deploy.get("spec") or {}).get("template") or {})
        pods = [o for _, o in self.store.items("", "pods", md["namespace"])
                if _owned_by(o, md["uid"])]
        ready = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
        want = deploy["spec"].get("replicas", 1)
        status = {"observedGeneration": md.get("generation", 1), "replicas": len(pods),
                  "updatedReplicas": len([p for p in pods if p["metadata"]["labels"].get(
                      "pod-template-hash") == hash_])}
        if ready:
            status["readyReplicas"] = status["availableReplicas"] = len(ready)
        if len(pods) - len(ready) > 0:
            status["unavailableReplicas"] = len(pods) - len(ready)
        available = len(ready) >= want
        old_status = deploy.get("status") or {}
        old_conditions = {c["type"]: c for c in old_status.get("conditions") or []}

        def condition(type_, ok, reason, message):
            prev = old_conditions.get(type_)
            value = "True" if ok else "False"
            when = prev["lastTransitionTime"] if prev and prev["status"] == value else now_iso()
            return {"type": type_, "status": value, "reason": reason, "message": message,
                    "lastUpdateTime": when, "lastTransitionTime": when}

        status["conditions"] = [
            condition("Available", available,
                      "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                      "Deployment has minimum availability." if available else
                      "Deployment does not have minimum availability."),
            condition("Progressing", True,
                      "NewReplicaSetAvailable" if available else "ReplicaSetUpdated",
                      'ReplicaSet "%s-%s" has %s.' % (md["name"], hash_, "successfully progressed"
                                                     if available else "is progressing"))]
        if status == old_status:
            return
        new = copy.deepcopy(deploy)
        new["status"] = status
        self.update_system(self.t("apps", "deployments"), deploy, new,
                           "kube-controller-manager", subresource="status")
