#!/usr/bin/python3
"""The official Kubernetes Python client (Debian's python3-kubernetes) against the emulator:
namespaces, Deployments with pods and Istio sidecar injection seen through a watch, custom
objects (an Istio VirtualService), TokenRequest, and the Status errors a client acts on."""
import base64
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from fidelity_support import Checks, Emulator, wait_for  # noqa: E402

VS = ("networking.istio.io", "v1", "virtualservices")


def api_client(emu):
    cfg = client.Configuration()
    cfg.host = emu.url
    cfg.ssl_ca_cert = emu.ca
    cfg.api_key = {"authorization": emu.token}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(cfg)


def status_of(exc):
    body = json.loads(exc.body)
    return exc.status, body.get("kind"), body.get("reason"), body.get("code")


def expect_error(checks, name, call, status, reason):
    try:
        call()
    except ApiException as exc:
        got = status_of(exc)
        checks.ok(name, got == (status, "Status", reason, status), "got %s" % (got,))
        return
    checks.ok(name, False, "no error raised")


def deployment(name, replicas):
    labels = {"app": name, "version": "v1"}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1DeploymentSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(
                    name="app", image="nginx:1.25",
                    ports=[client.V1ContainerPort(container_port=8080)])]))))


def check_namespaces(checks, core, emu):
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(
        name="meshed", labels={"istio-injection": "enabled"})))
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="plain")))
    ns = core.read_namespace("meshed")
    checks.ok("CoreV1Api creates and reads a namespace",
              ns.status.phase == "Active" and ns.metadata.labels.get("istio-injection") ==
              "enabled" and ns.metadata.uid and ns.metadata.resource_version)
    with open(emu.ca) as f:
        ca_pem = f.read()
    cm = core.read_namespaced_config_map("istio-ca-root-cert", "meshed")
    checks.ok("a new namespace gets the istio-ca-root-cert ConfigMap with the CA",
              cm.data.get("root-cert.pem") == ca_pem)
    expect_error(checks, "creating an existing namespace is 409 AlreadyExists",
                 lambda: core.create_namespace(client.V1Namespace(
                     metadata=client.V1ObjectMeta(name="plain"))), 409, "AlreadyExists")
    expect_error(checks, "an invalid name is 422 Invalid",
                 lambda: core.create_namespace(client.V1Namespace(
                     metadata=client.V1ObjectMeta(name="Not_A_Name"))), 422, "Invalid")
    expect_error(checks, "creating in a missing namespace is 404 NotFound",
                 lambda: core.create_namespaced_config_map("nowhere", client.V1ConfigMap(
                     metadata=client.V1ObjectMeta(name="x"))), 404, "NotFound")


def check_deployments(checks, core, apps):
    start_rv = core.list_namespaced_pod("meshed").metadata.resource_version
    apps.create_namespaced_deployment("meshed", deployment("reviews", 2))
    apps.create_namespaced_deployment("plain", deployment("ratings", 1))
    got = apps.read_namespaced_deployment("reviews", "meshed")
    checks.ok("AppsV1Api creates and reads a Deployment",
              got.spec.replicas == 2 and got.metadata.generation == 1 and
              got.spec.template.spec.containers[0].image == "nginx:1.25")
    listed = apps.list_namespaced_deployment("meshed", label_selector="app=reviews")
    checks.ok("list_namespaced_deployment with a label selector",
              [d.metadata.name for d in listed.items] == ["reviews"])

    added = {}
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, "meshed", resource_version=start_rv,
                          timeout_seconds=5):
        if event["type"] == "ADDED":
            added[event["object"].metadata.name] = event["object"]
        if len(added) == 2:
            w.stop()
    checks.ok("a watch from the list resourceVersion sees ADDED for both pods", len(added) == 2,
              "saw %s" % sorted(added))
    pod = next(iter(added.values()))
    names = [c.name for c in pod.spec.containers]
    inits = [c.name for c in pod.spec.init_containers or []]
    checks.ok("pods in the injection-labelled namespace carry istio-proxy and istio-init",
              names == ["app", "istio-proxy"] and inits == ["istio-init"] and
              pod.metadata.labels.get("security.istio.io/tlsMode") == "istio" and
              pod.metadata.owner_references[0].kind == "Deployment", "containers %s" % names)
    plain = wait_for(lambda: core.list_namespaced_pod("plain", label_selector="app=ratings").items)
    checks.ok("pods in a namespace without the label have no sidecar",
              len(plain) == 1 and [c.name for c in plain[0].spec.containers] == ["app"] and
              not plain[0].spec.init_containers)
    ready = wait_for(lambda: (apps.read_namespaced_deployment_status("reviews", "meshed").status
                              .ready_replicas or 0) == 2)
    checks.ok("the Deployment status reaches 2 ready replicas", ready)

    apps.patch_namespaced_deployment_scale("reviews", "meshed", {"spec": {"replicas": 3}})
    checks.ok("scaling to 3 replicas adds a pod", wait_for(lambda: len(core.list_namespaced_pod(
        "meshed", label_selector="app=reviews").items) == 3))

    status = apps.delete_namespaced_deployment("reviews", "meshed",
                                               propagation_policy="Background")
    checks.ok("delete_namespaced_deployment answers a Success Status",
              status.status == "Success" and status.details.name == "reviews")
    checks.ok("deleting the Deployment deletes its pods", wait_for(
        lambda: not core.list_namespaced_pod("meshed", label_selector="app=reviews").items))
    expect_error(checks, "reading the deleted Deployment is 404 NotFound",
                 lambda: apps.read_namespaced_deployment("reviews", "meshed"), 404, "NotFound")


def check_custom_objects(checks, custom):
    body = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "reviews", "labels": {"app": "reviews"}},
            "spec": {"hosts": ["reviews"], "http": [{"route": [
                {"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}]}]}}
    created = custom.create_namespaced_custom_object(*VS[:2], "meshed", VS[2], body)
    checks.ok("CustomObjectsApi creates a VirtualService",
              created["metadata"]["generation"] == 1 and created["metadata"]["uid"])
    expect_error(checks, "creating it again is 409 AlreadyExists",
                 lambda: custom.create_namespaced_custom_object(*VS[:2], "meshed", VS[2], body),
                 409, "AlreadyExists")
    got = custom.get_namespaced_custom_object(*VS[:2], "meshed", VS[2], "reviews")
    checks.ok("get_namespaced_custom_object reads it back",
              got["spec"]["http"][0]["route"][0]["destination"]["subset"] == "v1")
    other = dict(body, metadata={"name": "details", "labels": {"app": "details"}})
    custom.create_namespaced_custom_object(*VS[:2], "meshed", VS[2], other)
    listed = custom.list_namespaced_custom_object(*VS[:2], "meshed", VS[2],
                                                  label_selector="app=reviews")
    checks.ok("list with label_selector returns only the match",
              [i["metadata"]["name"] for i in listed["items"]] == ["reviews"])
    listed = custom.list_namespaced_custom_object(*VS[:2], "meshed", VS[2],
                                                  label_selector="app notin (reviews)")
    checks.ok("list with a notin selector", [i["metadata"]["name"] for i in listed["items"]] ==
              ["details"])
    patched = custom.patch_namespaced_custom_object(*VS[:2], "meshed", VS[2], "reviews", {
        "spec": {"http": [{"route": [{"destination": {"host": "reviews", "subset": "v2"}}]}]}})
    checks.ok("patch_namespaced_custom_object (merge patch) changes the spec and generation",
              patched["spec"]["http"][0]["route"][0]["destination"]["subset"] == "v2" and
              patched["metadata"]["generation"] == 2 and patched["spec"]["hosts"] == ["reviews"])
    bad = dict(body, metadata={"name": "broken"}, spec={"hosts": "not-a-list"})
    expect_error(checks, "a VirtualService that breaks the CRD schema is 422 Invalid",
                 lambda: custom.create_namespaced_custom_object(*VS[:2], "meshed", VS[2], bad),
                 422, "Invalid")
    custom.delete_namespaced_custom_object(*VS[:2], "meshed", VS[2], "reviews")
    expect_error(checks, "the deleted VirtualService is 404 NotFound",
                 lambda: custom.get_namespaced_custom_object(*VS[:2], "meshed", VS[2], "reviews"),
                 404, "NotFound")


def check_token_request(checks, core):
    core.create_namespaced_service_account("meshed", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="reviews")))
    before = datetime.datetime.now(datetime.timezone.utc)
    tr = core.create_namespaced_service_account_token("reviews", "meshed", client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=["istio-ca"], expiration_seconds=3600)))
    parts = tr.status.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    checks.ok("TokenRequest returns a JWT for the ServiceAccount and audience",
              len(parts) == 3 and claims["sub"] == "system:serviceaccount:meshed:reviews" and
              claims["aud"] == ["istio-ca"] and claims["exp"] - claims["iat"] == 3600,
              "claims %s" % claims)
    lifetime = (tr.status.expiration_timestamp - before).total_seconds()
    checks.ok("the expiration timestamp is an hour away", 3590 <= lifetime <= 3610,
              "%.0fs" % lifetime)
    expect_error(checks, "expirationSeconds below 10 minutes is 422 Invalid",
                 lambda: core.create_namespaced_service_account_token(
                     "reviews", "meshed", client.AuthenticationV1TokenRequest(
                         spec=client.V1TokenRequestSpec(audiences=["istio-ca"],
                                                        expiration_seconds=599))),
                 422, "Invalid")
    expect_error(checks, "a TokenRequest for a missing ServiceAccount is 404 NotFound",
                 lambda: core.create_namespaced_service_account_token(
                     "ghost", "meshed", client.AuthenticationV1TokenRequest(
                         spec=client.V1TokenRequestSpec(audiences=["istio-ca"]))),
                 404, "NotFound")


def check_conflicts_and_auth(checks, core, emu):
    cm = core.create_namespaced_config_map("plain", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings"), data={"a": "1"}))
    cm.data = {"a": "2"}
    core.replace_namespaced_config_map("settings", "plain", cm)
    cm.data = {"a": "3"}  # still carries the old resourceVersion
    expect_error(checks, "a replace with a stale resourceVersion is 409 Conflict",
                 lambda: core.replace_namespaced_config_map("settings", "plain", cm),
                 409, "Conflict")
    cfg = api_client(emu).configuration
    cfg.api_key = {"authorization": "wrong"}
    expect_error(checks, "a wrong bearer token is 401 Unauthorized",
                 lambda: client.CoreV1Api(client.ApiClient(cfg)).list_namespace(),
                 401, "Unauthorized")
    log = emu.control("GET", "requests")["items"]
    patches = [e for e in log if e["method"] == "PATCH" and "virtualservices" in e["path"]]
    checks.ok("the request log records what the client sent",
              patches and patches[0]["content_type"] == "application/merge-patch+json" and
              patches[0]["user_agent"].startswith("OpenAPI-Generator/"))


def main():
    checks = Checks()
    with Emulator("--inject-sidecars", "--pod-ready-seconds", "0.1") as emu:
        api = api_client(emu)
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        custom = client.CustomObjectsApi(api)
        check_namespaces(checks, core, emu)
        check_deployments(checks, core, apps)
        check_custom_objects(checks, custom)
        check_token_request(checks, core)
        check_conflicts_and_auth(checks, core, emu)
        checks.ok("the emulator logged no internal error", "Traceback" not in emu.errors(),
                  emu.errors())
    checks.done()


if __name__ == "__main__":
    main()
