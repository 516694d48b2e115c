"""render(): the Kubernetes and Istio objects a spec stands for."""

import json

import pytest

import meshorch
from conftest import SHOP


def kinds(manifests):
    return [m["kind"] for m in manifests]


def test_render_returns_manifests_in_apply_order(shop):
    manifests = meshorch.render(shop)
    assert manifests[0]["kind"] == "Namespace"
    assert manifests[0]["metadata"]["labels"]["istio-injection"] == "enabled"
    for kind in ("ServiceAccount", "Service", "WorkloadGroup", "DestinationRule",
                 "VirtualService", "PeerAuthentication", "AuthorizationPolicy", "Sidecar"):
        assert kind in kinds(manifests), kind
    assert "WorkloadEntry" not in kinds(manifests)
    for m in manifests:
        assert m["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshorch"


def test_render_accepts_text_and_dicts(shop):
    assert meshorch.render(SHOP) == meshorch.render(shop)
    assert meshorch.render(shop.to_dict()) == meshorch.render(shop)
    with pytest.raises(TypeError):
        meshorch.render(42)
    with pytest.raises(meshorch.SpecError):
        meshorch.render("apiVersion: meshorch.io/v1alpha1\nkind: Service\n")


def test_render_formats(shop):
    yaml_text = meshorch.render(shop, format="yaml")
    assert "kind: VirtualService" in yaml_text and "---" in yaml_text
    json_text = meshorch.render(shop, format="json")
    assert json.loads(json_text) == meshorch.render(shop)
    assert meshorch.render(shop, format="yaml") == yaml_text  # deterministic
    with pytest.raises(meshorch.InvalidArgumentError):
        meshorch.render(shop, format="xml")


def test_observed_vms_become_workload_entries(shop):
    observed = {
        ("cart", "v1"): [meshorch.VmInstance(server_id="s1", address="10.0.0.7"),
                         {"server_id": "s2", "address": "10.0.0.8"}],
    }
    entries = [m for m in meshorch.render(shop, observed=observed)
               if m["kind"] == "WorkloadEntry"]
    assert [e["metadata"]["name"] for e in entries] == ["cart-v1-0", "cart-v1-1"]
    assert [e["spec"]["address"] for e in entries] == ["10.0.0.7", "10.0.0.8"]
    same = meshorch.render(shop, observed={"cart/v1": ["10.0.0.7", "10.0.0.8"]})
    assert [m for m in same if m["kind"] == "WorkloadEntry"][1]["spec"]["address"] == "10.0.0.8"


def test_vm_instance_is_a_value_type():
    a = meshorch.VmInstance(server_id="s", address="10.0.0.1")
    assert a == meshorch.VmInstance(server_id="s", address="10.0.0.1")
    assert hash(a) == hash(meshorch.VmInstance(server_id="s", address="10.0.0.1"))
    assert repr(a) == "VmInstance(server_id='s', address='10.0.0.1')"
