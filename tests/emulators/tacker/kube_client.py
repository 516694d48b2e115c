"""A small Kubernetes REST client: create, patch, get, list and delete namespaced objects
from manifests, with a bearer token and a CA bundle (what Tacker's Kubernetes infra
driver does through the kubernetes Python client)."""
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request

# kind -> (plural, namespaced)
KINDS = {
    "Pod": ("pods", True), "Service": ("services", True), "ConfigMap": ("configmaps", True),
    "Secret": ("secrets", True), "ServiceAccount": ("serviceaccounts", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True),
    "Endpoints": ("endpoints", True), "LimitRange": ("limitranges", True),
    "ResourceQuota": ("resourcequotas", True), "Namespace": ("namespaces", False),
    "PersistentVolume": ("persistentvolumes", False), "Node": ("nodes", False),
    "Deployment": ("deployments", True), "StatefulSet": ("statefulsets", True),
    "DaemonSet": ("daemonsets", True), "ReplicaSet": ("replicasets", True),
    "Job": ("jobs", True), "CronJob": ("cronjobs", True),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", True),
    "Ingress": ("ingresses", True), "NetworkPolicy": ("networkpolicies", True),
    "Role": ("roles", True), "RoleBinding": ("rolebindings", True),
    "ClusterRole": ("clusterroles", False), "ClusterRoleBinding": ("clusterrolebindings", False),
    "StorageClass": ("storageclasses", False), "PodDisruptionBudget": ("poddisruptionbudgets", True),
}
SCALABLE_KINDS = ("Deployment", "ReplicaSet", "StatefulSet")


class KubeError(Exception):
    def __init__(self, status, message):
        super().__init__("Kubernetes API HTTP %s: %s" % (status, message))
        self.status = status


class KubeClient:
    def __init__(self, url, token=None, ca_file=None, timeout=10.0):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.ssl_context = ssl.create_default_context(cafile=ca_file) if ca_file else None

    @staticmethod
    def object_path(obj, namespace, with_name=True):
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        if kind not in KINDS:
            raise KubeError(400, "kind %s (%s) is not supported by the emulated Tacker "
                            "Kubernetes driver" % (kind, api_version))
        plural, namespaced = KINDS[kind]
        prefix = "/api/" + api_version if "/" not in api_version else "/apis/" + api_version
        path = prefix + ("/namespaces/%s/%s" % (namespace, plural) if namespaced
                         else "/" + plural)
        if with_name:
            path += "/" + urllib.parse.quote(obj["metadata"]["name"])
        return path

    def request(self, method, path, body=None, content_type="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout,
                                        context=self.ssl_context) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                message = json.loads(raw).get("message", raw.decode(errors="replace"))
            except ValueError:
                message = raw.decode(errors="replace")[:300]
            return e.code, {"message": message}
        except (urllib.error.URLError, OSError) as e:
            raise KubeError("unreachable", "%s%s: %s" % (self.url, path, e))

    def create(self, obj, namespace):
        status, body = self.request("POST", self.object_path(obj, namespace, False), obj)
        if status == 409:
            return False  # already exists: Tacker skips existing resources
        if status not in (200, 201, 202):
            raise KubeError(status, body.get("message"))
        return True

    def set_replicas(self, obj, namespace, replicas):
        status, body = self.request("PATCH", self.object_path(obj, namespace),
                                    {"spec": {"replicas": replicas}},
                                    "application/merge-patch+json")
        if status != 200:
            raise KubeError(status, body.get("message"))

    def delete(self, obj, namespace, grace_seconds=0):
        status, body = self.request("DELETE", self.object_path(obj, namespace), {
            "kind": "DeleteOptions", "apiVersion": "v1",
            "propagationPolicy": "Foreground", "gracePeriodSeconds": grace_seconds})
        if status not in (200, 202, 404):
            raise KubeError(status, body.get("message"))

    def pod_names(self, namespace, match_labels):
        selector = ",".join("%s=%s" % kv for kv in sorted(match_labels.items()))
        status, body = self.request("GET", "/api/v1/namespaces/%s/pods?labelSelector=%s"
                                    % (namespace, urllib.parse.quote(selector)))
        if status != 200:
            return []
        return sorted(p["metadata"]["name"] for p in body.get("items", []))
