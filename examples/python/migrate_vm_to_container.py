#!/usr/bin/env python3
"""Migrate a microservice from VMs to containers without dropping traffic.

Bookinfo's `reviews` runs v1 on two VMs and v3 in containers. This moves the traffic that goes
to v1 over to v3 in steps (v1/v3 weights 100/0, 50/50, 0/100), each step one reconfigure, then
removes the VM version. Every reconfigure changes only what differs, adds before it removes
("make before break"), and rolls back if a step fails: the migration then stops and reports.

    PYTHONPATH=build/python python3 examples/python/migrate_vm_to_container.py [spec.yaml]
        [--fail-step N]     make step N fail (a rejected Kubernetes write), to see the rollback
"""

import argparse
import copy
import pathlib
import sys

import meshorch

DEFAULT_SPEC = pathlib.Path(__file__).resolve().parents[1] / "specs" / "bookinfo-hybrid.yaml"
MICROSERVICE, VM_VERSION, CONTAINER_VERSION = "reviews", "v1", "v3"
STEPS = [(100, 0), (50, 50), (0, 100)]


def default_route(doc: dict) -> dict:
    """The route into `reviews` that has no match: the traffic everyone else gets."""
    for link in doc["spec"]["links"]:
        if link["to"] == MICROSERVICE:
            for route in link.get("routes", []):
                if not route.get("match"):
                    return route
    raise SystemExit(f"the spec has no catch-all route into {MICROSERVICE}")


def with_weights(doc: dict, vm: int, container: int) -> dict:
    doc = copy.deepcopy(doc)
    default_route(doc)["split"] = [{"version": VM_VERSION, "weight": vm},
                                   {"version": CONTAINER_VERSION, "weight": container}]
    return doc


def without_vm_version(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for ms in doc["spec"]["microservices"]:
        if ms["name"] == MICROSERVICE:
            ms["versions"] = [v for v in ms["versions"] if v["name"] != VM_VERSION]
    route = default_route(doc)
    route["split"] = [s for s in route["split"] if s["version"] != VM_VERSION]
    return doc


def reviews_weights(orch: meshorch.Orchestrator) -> str:
    """The weights the VirtualService of reviews carries now, from the simulated cluster."""
    for obj in orch.world.snapshot().objects:
        if obj["kind"] == "VirtualService" and obj["metadata"]["name"] == MICROSERVICE:
            routes = []
            for http in obj["spec"]["http"]:
                routes.append(" ".join(f"{d['destination'].get('subset', '*')}={d.get('weight', 100)}"
                                       for d in http["route"]))
            return " | ".join(routes)
    return "(no VirtualService)"


def reviews_workloads(orch: meshorch.Orchestrator, service: str) -> str:
    status = orch.status(service)
    return ", ".join(f"{w.version}#{w.instance}:{w.substrate.name}"
                     for w in status.workloads if w.microservice == MICROSERVICE)


def apply(orch: meshorch.Orchestrator, doc: dict, what: str) -> bool:
    """One reconfigure; False (after reporting) when it failed and was rolled back."""
    op = orch.reconfigure(meshorch.Spec.from_dict(doc))
    try:
        op.result(timeout=300)
    except meshorch.Error as e:
        status = orch.status(doc["metadata"]["name"])
        print(f"  {what}: FAILED, operation {op.id} ended {op.state.label}")
        print(f"    error: {type(e).__name__}: {e.message}")
        if e.http_status:
            print(f"    backend answered HTTP {e.http_status}")
        print(f"    service is {status.phase.name}; reviews routes stay at {reviews_weights(orch)}")
        return False
    print(f"  {what}: {op.state.label}; reviews routes now {reviews_weights(orch)}")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=str(DEFAULT_SPEC))
    parser.add_argument("--fail-step", type=int, default=0,
                        help="make step N (1-based) fail, to see the rollback")
    args = parser.parse_args()

    spec = meshorch.load_spec_file(args.spec)
    versions = spec.versions(MICROSERVICE)
    assert versions[VM_VERSION] == "vm" and versions[CONTAINER_VERSION] == "container", versions
    doc = spec.to_dict()

    with meshorch.Orchestrator.simulated(latency_ms=1) as orch:
        orch.deploy(spec).result(timeout=300)
        print(f"deployed {spec.name}: reviews workloads {reviews_workloads(orch, spec.name)}")
        print(f"  reviews routes {reviews_weights(orch)}")

        steps = [(f"weights {VM_VERSION}/{CONTAINER_VERSION} = {vm}/{ct}", with_weights(doc, vm, ct))
                 for vm, ct in STEPS]
        steps.append((f"remove {MICROSERVICE} {VM_VERSION} (the VMs)",
                      without_vm_version(steps[-1][1])))
        for number, (what, target) in enumerate(steps, start=1):
            if number == args.fail_step:
                # The next write of the reviews VirtualService is refused by the API server.
                orch.world.script("k8s_apply", fault="rejected", match=MICROSERVICE)
            if not apply(orch, target, f"step {number}: {what}"):
                print(f"migration stopped at step {number}; the engine rolled that step back")
                return 1

        vms_left = [p for p in orch.world.snapshot().proxies if p.microservice == MICROSERVICE]
        print(f"migrated: reviews workloads {reviews_workloads(orch, spec.name)}; "
              f"{len(vms_left)} reviews VM proxies left")
        if vms_left:
            return 1
        orch.terminate(spec.name).result(timeout=300)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
