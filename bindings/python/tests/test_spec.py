"""Specs: load, validate with paths and positions, write back, edit through dicts."""

import copy
import pickle

import pytest

import meshorch
from conftest import BOOKINFO, SHOP


def test_load_spec_reads_names_and_versions(shop):
    assert shop.name == "shop"
    assert shop.namespace == "shop"
    assert shop.microservices == ["web", "cart"]
    assert shop.versions("cart") == {"v1": "vm", "v2": "container"}
    assert shop.links == [("web", "cart", "http")]
    assert shop.validate() == []
    assert "shop" in repr(shop)
    with pytest.raises(meshorch.NotFoundError):
        shop.versions("nope")


def test_spec_constructor_is_load_spec():
    assert meshorch.Spec(SHOP) == meshorch.load_spec(SHOP)


def test_load_spec_file_reads_the_sample():
    spec = meshorch.load_spec_file(str(BOOKINFO))
    assert spec.name == "bookinfo"
    assert spec.versions("reviews") == {"v1": "vm", "v2": "container", "v3": "container"}
    assert spec.labels["team"] == "storefront"


def test_yaml_and_json_round_trip(shop):
    assert meshorch.load_spec(shop.to_yaml()) == shop
    assert meshorch.load_spec(shop.to_json()) == shop
    assert meshorch.Spec.from_dict(shop.to_dict()) == shop


def test_edit_through_a_dict(shop):
    doc = shop.to_dict()
    assert doc["apiVersion"] == "meshorch.io/v1alpha1" and doc["kind"] == "Service"
    doc["spec"]["links"][0]["routes"][0]["split"] = [
        {"version": "v1", "weight": 50}, {"version": "v2", "weight": 50}]
    edited = meshorch.Spec.from_dict(doc)
    assert edited != shop
    assert edited.name == shop.name


def test_validate_lists_every_problem_with_path_and_line():
    bad = SHOP.replace("to: cart", "to: nowhere").replace("number: 9080", "number: 99999")
    errors = meshorch.validate(bad)
    paths = {e.path for e in errors}
    assert "spec.links[0].to" in paths
    assert "spec.microservices[1].ports[0].number" in paths
    assert all(e.reason for e in errors)
    assert any(e.line > 0 for e in errors), errors


def test_validate_of_a_valid_spec_is_empty(shop):
    assert meshorch.validate(SHOP) == []
    assert meshorch.validate(shop) == []


def test_validate_reports_a_syntax_error_as_one_entry():
    errors = meshorch.validate("metadata: {name: [x\n")
    assert len(errors) == 1
    assert errors[0].path == ""
    assert errors[0].line >= 1


def test_invalid_spec_raises_with_all_errors():
    bad = SHOP.replace("weight: 10}", "weight: 20}")
    with pytest.raises(meshorch.SpecError) as info:
        meshorch.load_spec(bad)
    assert any("split" in e.path for e in info.value.errors), info.value.errors
    assert "100" in str(info.value)


def test_from_dict_rejects_what_json_cannot_hold(shop):
    doc = shop.to_dict()
    doc["metadata"]["labels"] = {"when": object()}
    with pytest.raises(TypeError):
        meshorch.Spec.from_dict(doc)
    with pytest.raises(TypeError):
        meshorch.Spec.from_dict({1: "x"})


def test_spec_is_a_copyable_picklable_value(shop):
    assert copy.copy(shop) == shop
    assert copy.deepcopy(shop) == shop
    assert pickle.loads(pickle.dumps(shop)) == shop
