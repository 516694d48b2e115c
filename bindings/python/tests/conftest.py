"""Shared fixtures: a small hybrid spec, the Bookinfo sample, simulated orchestrators."""

import os
import pathlib

import pytest

import meshorch

SOURCE_DIR = pathlib.Path(
    os.environ.get("MESHORCH_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[3]))
BOOKINFO = SOURCE_DIR / "examples" / "specs" / "bookinfo-hybrid.yaml"

# web (container) -> cart (v1 on a VM, v2 in a container).
SHOP = """\
apiVersion: meshorch.io/v1alpha1
kind: Service
metadata:
  name: shop
spec:
  microservices:
    - name: web
      ports: [{name: http, number: 8080, protocol: HTTP}]
      versions:
        - name: v1
          container: {image: "registry.example/web:1.0"}
          vnf: {vnfdId: web-cnf, flavourId: simple}
    - name: cart
      ports: [{name: http, number: 9080, protocol: HTTP}]
      versions:
        - name: v1
          vm: {image: cart-1.0, flavor: m1.small, network: net0}
          vnf: {vnfdId: cart-vm, flavourId: simple}
        - name: v2
          container: {image: "registry.example/cart:2.0"}
          vnf: {vnfdId: cart-cnf, flavourId: simple}
  links:
    - from: web
      to: cart
      routes:
        - split: [{version: v1, weight: 90}, {version: v2, weight: 10}]
"""


def shop_with_weights(v1: int, v2: int) -> str:
    return SHOP.replace("[{version: v1, weight: 90}, {version: v2, weight: 10}]",
                        f"[{{version: v1, weight: {v1}}}, {{version: v2, weight: {v2}}}]")


@pytest.fixture
def shop_text() -> str:
    return SHOP


@pytest.fixture
def shop() -> meshorch.Spec:
    return meshorch.load_spec(SHOP)


@pytest.fixture
def orch():
    with meshorch.Orchestrator.simulated() as o:
        yield o


@pytest.fixture
def slow_orch():
    """Every backend call takes 20 ms: operations last long enough to be caught running."""
    with meshorch.Orchestrator.simulated(latency_ms=20) as o:
        yield o
