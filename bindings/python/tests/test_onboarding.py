"""onboard_vm / offboard_vm on the simulated infrastructure: a deployed service's VM taken out of
the mesh and put back, as a VNF manager's hook does it."""

import pytest

import meshorch
from conftest import SHOP

# cart v1 on two VMs.
TWO_VMS = SHOP.replace("network: net0}", "network: net0, instances: 2}")


@pytest.fixture
def deployed():
    """(orchestrator, spec, snapshot after the deploy)."""
    world = meshorch.World.create(seed=7)
    with meshorch.Orchestrator.simulated(world=world) as orch:
        spec = meshorch.load_spec(TWO_VMS)
        orch.deploy(spec).result(timeout=60)
        yield orch, spec, world.snapshot()


def entries(world):
    return {o["metadata"]["name"]: o for o in world.snapshot().objects
            if o["kind"] == "WorkloadEntry"}


def proxy_servers(world):
    return {p.vm.server_id for p in world.snapshot().proxies}


def strip_server_fields(manifest):
    m = dict(manifest)
    m["metadata"] = {k: v for k, v in m["metadata"].items()
                     if k not in ("resourceVersion", "uid", "creationTimestamp", "generation")}
    return m


def test_ports_come_from_the_world():
    world = meshorch.World.create()
    cluster, injector = world.cluster_port(), world.injector_port()
    assert isinstance(cluster, meshorch.Cluster)
    assert isinstance(injector, meshorch.SidecarInjector)
    assert "Cluster" in repr(cluster) and "SidecarInjector" in repr(injector)


def test_offboard_then_onboard_restores_what_the_orchestrator_rendered(deployed):
    orch, spec, before = deployed
    world = orch.world
    vm = before.vms[1]
    rendered = entries(world)["cart-v1-1"]
    assert rendered["spec"]["address"] == vm.address

    meshorch.offboard_vm(spec, "cart", "v1", vm, 1, world.cluster_port(), world.injector_port())
    assert "cart-v1-1" not in entries(world)
    assert vm.server_id not in proxy_servers(world)
    assert "cart-v1-0" in entries(world)  # the other VM stays

    stored = meshorch.onboard_vm(spec, "cart", "v1", vm, 1, world.cluster_port(),
                                 world.injector_port())
    assert isinstance(stored, dict)
    assert stored["kind"] == "WorkloadEntry" and stored["metadata"]["name"] == "cart-v1-1"
    assert stored == entries(world)["cart-v1-1"]
    assert strip_server_fields(stored) == strip_server_fields(rendered)
    assert stored["metadata"]["labels"]["meshorch.io/service"] == "shop"
    assert vm.server_id in proxy_servers(world)


def test_onboarding_twice_does_not_write_the_entry_again(deployed):
    orch, spec, _ = deployed
    world = orch.world
    vm = world.snapshot().vms[0]
    args = (spec, "cart", "v1", vm, 0, world.cluster_port(), world.injector_port())
    first = meshorch.onboard_vm(*args)
    second = meshorch.onboard_vm(*args)
    assert first["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"]
    assert len(world.snapshot().proxies) == 2


def test_a_vm_as_a_dict_and_spec_as_text_with_options(deployed):
    orch, _, _ = deployed
    world = orch.world
    vm = world.snapshot().vms[0]
    options = meshorch.OnboardingOptions(token_lifetime=600, mesh_id="mesh2", call_timeout=5)
    assert options.mesh_id == "mesh2" and options.token_lifetime == 600.0
    assert options == meshorch.OnboardingOptions(token_lifetime=600, mesh_id="mesh2",
                                                 call_timeout=5)
    assert options != meshorch.OnboardingOptions()
    assert "mesh2" in repr(options)
    meshorch.onboard_vm(TWO_VMS, "cart", "v1", {"server_id": vm.server_id, "address": vm.address},
                        0, world.cluster_port(), world.injector_port(), options=options,
                        timeout=30)
    proxy = [p for p in world.snapshot().proxies if p.vm.server_id == vm.server_id][0]
    assert "ISTIO_META_MESH_ID='mesh2'" in proxy.bundle["cluster.env"]


def test_errors_map_to_the_exception_hierarchy(deployed):
    orch, spec, _ = deployed
    world = orch.world
    vm = world.snapshot().vms[0]
    ports = (world.cluster_port(), world.injector_port())
    with pytest.raises(meshorch.InvalidArgumentError, match='no version "v9"'):
        meshorch.onboard_vm(spec, "cart", "v9", vm, 0, *ports)
    with pytest.raises(meshorch.InvalidArgumentError, match="not on VMs"):
        meshorch.onboard_vm(spec, "cart", "v2", vm, 0, *ports)
    # A microservice the cluster has no ServiceAccount for: the token request fails, no entry.
    billing = TWO_VMS.replace("  links:", """\
    - name: billing
      ports: [{name: http, number: 7070, protocol: HTTP}]
      versions:
        - name: v1
          vm: {image: billing-1.0, flavor: m1.small, network: net0}
          vnf: {vnfdId: billing-vm, flavourId: simple}
  links:""")
    with pytest.raises(meshorch.NotFoundError, match="token for ServiceAccount shop/billing"):
        meshorch.onboard_vm(billing, "billing", "v1", vm, 0, *ports)
    assert "billing-v1-0" not in entries(world)
    with pytest.raises(meshorch.InvalidArgumentError, match="timeout"):
        meshorch.onboard_vm(spec, "cart", "v1", vm, 0, *ports, timeout=0)
    with pytest.raises(TypeError):
        meshorch.onboard_vm(spec, "cart", "v1", 42, 0, *ports)
    with pytest.raises(meshorch.InvalidArgumentError, match="token_lifetime"):
        meshorch.OnboardingOptions(token_lifetime=-1)


def test_a_backend_refusal_is_a_backend_error(deployed):
    orch, spec, _ = deployed
    world = orch.world
    vm = world.snapshot().vms[0]
    meshorch.offboard_vm(spec, "cart", "v1", vm, 0, world.cluster_port(), world.injector_port())
    world.fail_vm(vm.server_id)
    with pytest.raises(meshorch.BackendError, match="inject the proxy"):
        meshorch.onboard_vm(spec, "cart", "v1", vm, 0, world.cluster_port(),
                            world.injector_port())
    assert "cart-v1-0" not in entries(world)


def test_the_deadline_is_a_timeout_error(deployed):
    orch, spec, _ = deployed
    world = orch.world
    vm = world.snapshot().vms[0]
    world.script("k8s_token", fault="timeout")
    with pytest.raises(meshorch.TimeoutError):
        meshorch.onboard_vm(spec, "cart", "v1", vm, 0, world.cluster_port(),
                            world.injector_port(), timeout=0.3)


def test_offboarding_what_is_gone_succeeds(deployed):
    orch, spec, _ = deployed
    world = orch.world
    gone = meshorch.VmInstance(server_id="no-such-server", address="10.254.254.254")
    meshorch.offboard_vm(spec, "cart", "v1", gone, 5, world.cluster_port(), world.injector_port())
    assert len(world.snapshot().proxies) == 2


def test_connect_ports_reports_every_problem():
    with pytest.raises(meshorch.InvalidArgumentError) as raised:
        meshorch.connect_ports({"kubernetes": {}})
    paths = {e.path for e in raised.value.errors}
    assert "kubernetes.kubeconfig" in paths
    assert meshorch.workload_entry_name("cart", "v1", 2) == "cart-v1-2"
