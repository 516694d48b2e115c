"""The Tacker management driver's hooks, called with Tacker-shaped data (Tacker's API samples with
the ids and addresses of simulated VMs) against meshorch's simulated infrastructure."""

import json
import os
import pathlib
import pickle
import subprocess
import sys

import pytest

import meshorch

HERE = pathlib.Path(__file__).resolve().parent
DRIVER_DIR = HERE.parent
sys.path.insert(0, str(DRIVER_DIR))
sys.path.insert(0, str(HERE))

import meshorch_mgmt_driver as driver  # noqa: E402
import meshorch_vnflcm_driver as v1  # noqa: E402
import tacker_samples as samples  # noqa: E402

SPEC = """\
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
          vm: {image: cart-1.0, flavor: m1.small, network: net0, instances: 2}
          vnf: {vnfdId: cart-vm, flavourId: simple}
  links:
    - from: web
      to: cart
"""
SEED = 11


class FakeNova:
    """Stands in for the Nova look-up: the address of each simulated server."""

    def __init__(self, world):
        self.addresses = {vm.server_id: vm.address for vm in world.snapshot().vms}
        self.asked = []

    def __call__(self, server_id):
        self.asked.append(server_id)
        if server_id not in self.addresses:
            raise driver.DriverError(f"Nova: no server {server_id}")
        return self.addresses[server_id]


@pytest.fixture
def deployment():
    """The orchestrator that deployed SPEC (as sim_ports does for the script: the same VMs)."""
    world = meshorch.World.create(seed=SEED)
    with meshorch.Orchestrator.simulated(world=world) as orch:
        orch.deploy(SPEC).result(timeout=60)
        yield orch


@pytest.fixture
def world(deployment):
    return deployment.world


@pytest.fixture
def vms(world):
    return [vm for vm in world.snapshot().vms if vm.address]


def hooks_for(world, nova=None):
    return driver.Hooks(meshorch, SPEC, world.cluster_port(), world.injector_port(),
                        meshorch.OnboardingOptions(), nova or FakeNova(world), timeout=30)


def entries(world):
    return {o["metadata"]["name"]: o for o in world.snapshot().objects
            if o["kind"] == "WorkloadEntry"}


def proxies(world):
    return {p.vm.server_id: p.vm.address for p in world.snapshot().proxies}


# ---- reading Tacker's data -----------------------------------------------------------------------


def test_vnfcs_are_read_in_order_with_the_addresses_tacker_reports(vms):
    inst = samples.vnf_instance(vms)
    vnfcs = driver.vnfcs_of(inst)
    assert [v.server_id for v in vnfcs] == [vm.server_id for vm in vms]
    assert vnfcs[0].address == vms[0].address  # fixed: from extCpInfo
    assert vnfcs[1].address == ""  # dynamic: Tacker does not say
    assert vnfcs[0].known_as(samples.vnfc_info_id(inst, vms[0].server_id))
    assert vnfcs[0].vdu_id == "VDU2"
    # A connection point that has no address.
    assert driver.vnfcs_of(inst, connection_point="VDU2_CP3")[0].address == ""


def test_the_vnf_identity_comes_from_the_metadata_then_the_request(vms):
    inst = samples.vnf_instance(vms, microservice="cart", version="v1")
    assert driver.vnf_identity(inst, {}, driver._NO_CONFIG) == ("shop", "cart", "v1")
    inst["metadata"] = {}
    req = {"additionalParams": {"meshorch.io/microservice": "cart", "meshorch.io/version": "v2"}}
    assert driver.vnf_identity(inst, req, driver._NO_CONFIG) == (None, "cart", "v2")
    with pytest.raises(driver.DriverError, match="meshorch.io/microservice"):
        driver.vnf_identity(inst, {}, driver._NO_CONFIG)


# ---- the hooks on the simulated world ----------------------------------------------------------------


def test_terminate_start_takes_every_vm_out_entry_first(world, vms):
    inst = samples.vnf_instance(vms)
    assert set(entries(world)) == {"cart-v1-0", "cart-v1-1"}
    hooks = hooks_for(world)
    hooks.terminate_start(request=samples.terminate_request(), vnf_instance=inst)
    assert entries(world) == {}
    assert proxies(world) == {}
    assert [o["workload_entry"] for o in hooks.report["offboarded"]] == ["cart-v1-0", "cart-v1-1"]
    assert len(world.snapshot().vms) == 2  # deleting the VMs is Tacker's job


def test_instantiate_end_puts_every_vm_in_the_mesh_as_the_orchestrator_did(world, vms):
    rendered = entries(world)
    inst = samples.vnf_instance(vms)
    nova = FakeNova(world)
    hooks_for(world, nova).terminate_start(request=samples.terminate_request(),
                                           vnf_instance=inst)
    hooks = hooks_for(world, nova)
    hooks.instantiate_end(request=samples.instantiate_request(), vnf_instance=inst)
    now = entries(world)
    assert set(now) == {"cart-v1-0", "cart-v1-1"}
    for name, manifest in now.items():
        assert manifest["spec"] == rendered[name]["spec"]
        assert manifest["metadata"]["labels"] == rendered[name]["metadata"]["labels"]
    assert proxies(world) == {vm.server_id: vm.address for vm in vms}
    # Only the VM whose address Tacker did not report was looked up.
    assert vms[1].server_id in nova.asked and vms[0].server_id not in nova.asked
    assert [o["address"] for o in hooks.report["onboarded"]] == [vm.address for vm in vms]


def test_instantiate_end_twice_is_harmless(world, vms):
    inst = samples.vnf_instance(vms)
    before = entries(world)
    hooks_for(world).instantiate_end(request=samples.instantiate_request(), vnf_instance=inst)
    after = entries(world)
    assert {n: m["metadata"]["resourceVersion"] for n, m in after.items()} == \
        {n: m["metadata"]["resourceVersion"] for n, m in before.items()}


def test_heal_end_follows_the_new_vm(deployment, world, vms):
    # Tacker re-creates VNFC 1: a new server with a new address (here the simulated VNF manager
    # heals it, through the orchestrator), and the mesh has not followed yet.
    old = vms[1]
    world.fail_vm(old.server_id)
    deployment.heal("shop", meshorch.WorkloadId("cart", "v1", 1)).result(timeout=60)
    target = [vm for vm in world.snapshot().vms
              if vm.address and vm.server_id not in (vms[0].server_id, old.server_id)][0]
    meshorch.offboard_vm(SPEC, "cart", "v1", target, 1, world.cluster_port(),
                         world.injector_port())
    assert "cart-v1-1" not in entries(world)
    assert target.address != old.address

    inst = samples.vnf_instance([vms[0], target])
    rv0 = entries(world)["cart-v1-0"]["metadata"]["resourceVersion"]
    world.reset_call_counts()
    hooks = hooks_for(world)
    hooks.heal_end(request=samples.heal_request([samples.vnfc_info_id(inst, target.server_id)]),
                   vnf_instance=inst)
    assert [o["server_id"] for o in hooks.report["onboarded"]] == [target.server_id]
    assert world.call_counts().get("inject") == 1  # only the healed VNFC
    assert entries(world)["cart-v1-1"]["spec"]["address"] == target.address
    assert entries(world)["cart-v1-0"]["metadata"]["resourceVersion"] == rv0


def test_heal_end_onboards_every_vm_when_the_healed_ids_are_gone(world, vms):
    inst = samples.vnf_instance(vms)
    meshorch.offboard_vm(SPEC, "cart", "v1", vms[0], 0, world.cluster_port(),
                         world.injector_port())
    hooks = hooks_for(world)
    hooks.heal_end(request=samples.heal_request(["vnfc-id-from-before-the-heal"]),
                   vnf_instance=inst)
    assert [o["server_id"] for o in hooks.report["onboarded"]] == [vm.server_id for vm in vms]
    assert set(entries(world)) == {"cart-v1-0", "cart-v1-1"}


def test_a_failure_names_the_vnfc_and_leaves_no_entry(world, vms):
    inst = samples.vnf_instance(vms)
    hooks_for(world).terminate_start(request=samples.terminate_request(), vnf_instance=inst)
    world.fail_vm(vms[0].server_id)
    with pytest.raises(driver.DriverError) as raised:
        hooks_for(world).instantiate_end(request=samples.instantiate_request(),
                                         vnf_instance=inst)
    message = str(raised.value)
    assert vms[0].server_id in message and "cart/v1 #0" in message
    assert "cart-v1-0" not in entries(world)


def test_a_vnf_of_another_service_or_version_is_refused(world, vms):
    hooks = hooks_for(world)
    with pytest.raises(driver.DriverError, match="service 'billing'"):
        hooks.instantiate_end(request={}, vnf_instance=samples.vnf_instance(vms,
                                                                            service="billing"))
    with pytest.raises(driver.DriverError, match='no version "v7"'):
        hooks.instantiate_end(request={}, vnf_instance=samples.vnf_instance(vms, version="v7"))


def test_no_address_and_no_look_up_is_a_clear_error(world, vms):
    hooks = driver.Hooks(meshorch, SPEC, world.cluster_port(), world.injector_port())
    with pytest.raises(driver.DriverError, match="reports no address"):
        hooks.instantiate_end(request={}, vnf_instance=samples.vnf_instance(vms))


def test_scale_hooks(world, vms):
    inst = samples.vnf_instance(vms)
    grant_request = {"removeResources": [
        {"type": "COMPUTE", "resource": {"resourceId": vms[1].server_id}}]}
    hooks = hooks_for(world)
    hooks.scale_start(request={"type": "SCALE_IN"}, vnf_instance=inst,
                      grant_request=grant_request)
    assert set(entries(world)) == {"cart-v1-0"}
    hooks.scale_end(request={"type": "SCALE_OUT"}, vnf_instance=inst)
    assert set(entries(world)) == {"cart-v1-0", "cart-v1-1"}


# ---- the Nova look-up ------------------------------------------------------------------------------


class FakeSession:
    def __init__(self, status, body):
        self.status, self.body, self.calls = status, body, []

    def get(self, url, **kwargs):
        self.calls.append((url, kwargs))
        session = self

        class Response:
            status_code = session.status

            def json(self):
                return session.body

        return Response()


def test_nova_resolver_reads_the_fixed_address_on_the_network():
    body = {"server": {"addresses": {
        "public": [{"addr": "203.0.113.5", "OS-EXT-IPS:type": "floating"}],
        "net0": [{"addr": "10.1.0.7", "OS-EXT-IPS:type": "fixed", "version": 4}]}}}
    session = FakeSession(200, body)
    resolver = driver.NovaAddressResolver(network="net0", session=session, region_name="R1")
    assert resolver("srv-1") == "10.1.0.7"
    url, kwargs = session.calls[0]
    assert url == "/servers/srv-1"
    assert kwargs["endpoint_filter"] == {"service_type": "compute", "interface": "public",
                                         "region_name": "R1"}
    with pytest.raises(driver.DriverError, match="no fixed address on network other"):
        driver.NovaAddressResolver(network="other", session=session)("srv-1")
    with pytest.raises(driver.DriverError, match="answered 404"):
        driver.NovaAddressResolver(session=FakeSession(404, {}))("srv-2")


# ---- Tacker v1: the driver class ---------------------------------------------------------------------


class V1Object:
    """A stand-in for a Tacker v1 versioned object: snake_case fields, to_dict()."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def to_dict(self):
        return {k: (v.to_dict() if isinstance(v, V1Object) else v)
                for k, v in self.__dict__.items()}


def snake(value):
    import re
    if isinstance(value, dict):
        return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k) if k != "metadata"
                else "vnf_metadata": (v if k == "metadata" else snake(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [snake(v) for v in value]
    return value


def test_v1_driver_runs_the_hooks_on_tacker_v1_objects(world, vms, tmp_path):
    inst_v1 = V1Object(**snake(samples.vnf_instance(vms)))
    assert "vnf_metadata" in inst_v1.to_dict()
    made = []

    def make_hooks(config):
        made.append(config)
        return hooks_for(world)

    config = tmp_path / "config.yaml"
    config.write_text("spec: unused.yaml\n")
    d = v1.MeshorchMgmtDriver(make_hooks=make_hooks, config_path=str(config))
    assert (d.get_type(), d.get_name()) == ("meshorch", "meshorch")
    assert isinstance(d, v1._Base)
    report = d.terminate_start(None, inst_v1, V1Object(termination_type="GRACEFUL"), None, None)
    assert [o["server_id"] for o in report["offboarded"]] == [vm.server_id for vm in vms]
    assert entries(world) == {}
    heal = V1Object(vnfc_instance_id=[samples.vnfc_info_id(samples.vnf_instance(vms),
                                                           vms[1].server_id)])
    report = d.heal_end(None, inst_v1, heal, None, None)
    assert [o["server_id"] for o in report["onboarded"]] == [vms[1].server_id]
    assert set(entries(world)) == {"cart-v1-1"}
    d.instantiate_end(None, inst_v1, V1Object(flavour_id="simple"), None, None)
    assert set(entries(world)) == {"cart-v1-0", "cart-v1-1"}
    assert d.instantiate_start(None, inst_v1, None, None, None) is None
    assert len(made) == 3


# ---- Tacker v2: the script, run as Tacker runs it ------------------------------------------------------


def run_script(script_dict, env_extra, tmp_path):
    env = dict(os.environ, **env_extra)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(DRIVER_DIR / "meshorch_mgmt_driver.py")],
                          input=pickle.dumps(script_dict), capture_output=True, env=env,
                          cwd=tmp_path, timeout=120)


@pytest.fixture
def packaged(tmp_path):
    """A VNF package directory with the driver configuration in Files/meshorch/config.yaml."""
    csar = tmp_path / "csar"
    (csar / "Files" / "meshorch").mkdir(parents=True)
    (csar / "Files" / "meshorch" / "service.yaml").write_text(SPEC)
    (csar / "Files" / "meshorch" / "config.yaml").write_text(
        f"spec: service.yaml\nsimulation: {{seed: {SEED}}}\ntimeout: 60\n")
    return csar


def test_the_v2_script_reads_tackers_pickle_and_runs_the_hook(vms, packaged, tmp_path):
    report_file = tmp_path / "world.json"
    env = {"MESHORCH_MGMT_DRIVER_PORTS": "sim_ports:ports",
           "MESHORCH_SIM_REPORT": str(report_file)}
    # The subprocess builds the same deterministic world: the same VMs.
    inst = samples.vnf_instance(vms, fixed_address=True)
    inst["instantiatedVnfInfo"]["vnfcResourceInfo"] = \
        inst["instantiatedVnfInfo"]["vnfcResourceInfo"][:1]  # the VM whose address Tacker knows
    script_dict = {
        "operation": "terminate_start",
        "request": samples.terminate_request(),
        "vnf_instance": inst,
        "grant_request": {"operation": "TERMINATE"},
        "grant_response": {},
        "tmp_csar_dir": str(packaged),
        "user_script_err_handling_data": {},
    }
    out = run_script(script_dict, env, tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    output = pickle.loads(out.stdout)
    assert output["meshorch"]["operation"] == "terminate_start"
    assert [o["workload_entry"] for o in output["meshorch"]["offboarded"]] == ["cart-v1-0"]
    world_after = json.loads(report_file.read_text())
    assert "cart-v1-0" not in world_after["entries"] and "cart-v1-1" in world_after["entries"]
    assert vms[0].server_id not in world_after["proxies"]
    assert world_after["proxies"][vms[1].server_id] == vms[1].address


def test_the_v2_script_fails_with_the_reason_on_stderr(vms, packaged, tmp_path):
    env = {"MESHORCH_MGMT_DRIVER_PORTS": "sim_ports:ports"}
    inst = samples.vnf_instance(vms, version="v9")
    out = run_script({"operation": "instantiate_end", "request": {}, "vnf_instance": inst,
                      "grant_request": None, "grant_response": None,
                      "tmp_csar_dir": str(packaged)}, env, tmp_path)
    assert out.returncode == 1
    assert 'no version "v9"' in out.stderr.decode()
    # Not a Tacker dict at all.
    bad = subprocess.run([sys.executable, str(DRIVER_DIR / "meshorch_mgmt_driver.py")],
                         input=b"not a pickle", capture_output=True, timeout=60)
    assert bad.returncode == 1 and b"meshorch management driver" in bad.stderr


def test_the_v2_script_skips_interfaces_it_has_no_part_in(tmp_path):
    out = run_script({"operation": "instantiate_start", "request": {}, "vnf_instance": {}},
                     {}, tmp_path)
    assert out.returncode == 0, out.stderr.decode()
    assert pickle.loads(out.stdout) == {"meshorch": {"operation": "instantiate_start",
                                                     "skipped": True}}


def test_a_missing_configuration_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.delenv(driver.CONFIG_ENV, raising=False)
    with pytest.raises(driver.DriverError, match="MESHORCH_MGMT_DRIVER_CONFIG"):
        driver.run({"operation": "instantiate_end", "request": {}, "vnf_instance": {},
                    "tmp_csar_dir": str(tmp_path)})
    with pytest.raises(driver.DriverError, match="does not exist"):
        driver.find_config({"additionalParams": {"meshorch.io/config": "/no/such/file"}}, {},
                           None)
    config = tmp_path / "c.yaml"
    config.write_text("backends: {}\n")
    with pytest.raises(driver.DriverError, match="'spec'"):
        driver.Config.load(config).spec_text()
