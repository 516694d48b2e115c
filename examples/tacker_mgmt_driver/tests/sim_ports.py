"""Ports on meshorch's simulated infrastructure for the driver: the ports factory of
MESHORCH_MGMT_DRIVER_PORTS=sim_ports:ports (the driver run as Tacker runs it, in a subprocess).

The factory builds a World with the configuration's ``simulation.seed``, deploys the spec into it
(so the namespace, ServiceAccounts and VMs exist, as a real deploy would leave them), and at exit
writes what the world holds to the file named by MESHORCH_SIM_REPORT (JSON: proxies by server id,
WorkloadEntries by name), for the test to look at."""

import atexit
import json
import os

import meshorch


def deployed_world(spec, seed):
    """A World with `spec` deployed, as the test and the subprocess both build it."""
    world = meshorch.World.create(seed=seed)
    with meshorch.Orchestrator.simulated(world=world) as orch:
        orch.deploy(spec).result(timeout=60)
    return world


def report(world):
    snap = world.snapshot()
    return {
        "proxies": {p.vm.server_id: p.vm.address for p in snap.proxies},
        "entries": {o["metadata"]["name"]: o["spec"]["address"] for o in snap.objects
                    if o["kind"] == "WorkloadEntry"},
    }


def ports(config):
    world = deployed_world(config.spec_text(), int(config.data["simulation"]["seed"]))
    out = os.environ.get("MESHORCH_SIM_REPORT")
    if out:
        def dump():
            with open(out, "w", encoding="utf-8") as f:
                json.dump(report(world), f)
        atexit.register(dump)
    return world.cluster_port(), world.injector_port(), meshorch.OnboardingOptions()
