#!/usr/bin/env python3
"""meshorch's VM sidecar injector as a Tacker VNF LCM management driver.

Tacker stays in charge of the VNF; this driver joins its VMs to the Istio mesh meshorch manages:

* ``instantiate_end``  every VM of the VNF gets the Istio proxy, then its WorkloadEntry;
* ``heal_end``         the healed VNFCs (the heal request's ``vnfcInstanceId``; every VNFC when
                       the request names none, or when the names no longer match after the
                       re-creation): the proxy and the WorkloadEntry follow the new VM;
* ``scale_end``        after a SCALE_OUT: the VMs that joined (every VM; idempotent);
* ``scale_start``      before a SCALE_IN: the VMs the grant removes leave the mesh;
* ``terminate_start``  every VM leaves the mesh (WorkloadEntry first, then the proxy) before
                       Tacker deletes the VMs.

Two ways to run it:

* Tacker v2 (SOL v2 API, ``tacker.sol_refactored``): put this file in the VNF package as
  ``Scripts/meshorch_mgmt_driver.py`` and name it in the VNFD's ``Vnflcm`` interface. Tacker runs
  ``python3 meshorch_mgmt_driver.py`` with a pickled dict on stdin (``operation``, ``request``,
  ``vnf_instance``, ``grant_request``, ``grant_response``, ``tmp_csar_dir``...). On success the
  script exits 0 and writes a pickled dict to stdout whose ``meshorch`` key reports what it did
  (Tacker reads only its own keys from it); on failure it exits 1 with the reason on stderr, and
  Tacker marks the LCM operation FAILED_TEMP with that message.
* Tacker v1: ``meshorch_vnflcm_driver.MeshorchMgmtDriver`` (next to this file) wraps the same
  hooks in Tacker's ``VnflcmMgmtAbstractDriver`` interface.

Which service, microservice and version the VNF is: the VNF instance's ``metadata`` keys
``meshorch.io/service``, ``meshorch.io/microservice``, ``meshorch.io/version`` (meshorch's Tacker
adapter sets them), else the request's ``additionalParams`` (same keys), else the configuration
file's ``microservice`` / ``version``.

The configuration file (YAML or JSON), found at the first of: the request's
``additionalParams["meshorch.io/config"]``, the VNF instance's ``metadata["meshorch.io/config"]``,
the environment variable ``MESHORCH_MGMT_DRIVER_CONFIG``, ``<csar>/Files/meshorch/config.yaml``::

    spec: service.yaml          # the meshorch service spec (relative to this file)
    backends: backends.yaml     # meshorch's backend configuration (kubernetes, tacker, injector;
                                # include/meshorch/backends.hpp), a file or an inline mapping
    timeout: 300                # seconds per VM
    connection_point: VDU1_CP1  # optional: the CP (cpdId) whose address the mesh uses
    vm_network: net0            # optional: Nova network for the address look-up
    nova:                       # optional: Keystone credentials for the Nova look-up;
      auth_url: https://keystone.example:5000/v3   # default: the OS_* environment variables
      username: ...  password: ...  project_name: ...
      user_domain_name: Default  project_domain_name: Default  region_name: RegionOne

VM addresses: Tacker reports a VNFC's address only for fixed IPs (``extCpInfo`` /
``vnfcCpInfo`` ``cpProtocolInfo``); dynamic addresses are looked up in Nova
(``GET /servers/{id}``, through keystoneauth1). The look-up is pluggable: ``Hooks`` takes any
``address_resolver(server_id) -> str``.

Extension hook: ``MESHORCH_MGMT_DRIVER_PORTS=module:function`` makes the script build its ports
with ``function(config) -> (cluster, injector, options)`` instead of the configuration's
backends (tests run the script against meshorch's simulated infrastructure this way).
"""

from __future__ import annotations

import importlib
import json
import os
import pathlib
import pickle
import sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

META_SERVICE = "meshorch.io/service"
META_MICROSERVICE = "meshorch.io/microservice"
META_VERSION = "meshorch.io/version"
META_CONFIG = "meshorch.io/config"
CONFIG_ENV = "MESHORCH_MGMT_DRIVER_CONFIG"
PORTS_ENV = "MESHORCH_MGMT_DRIVER_PORTS"
PACKAGED_CONFIG = pathlib.Path("Files") / "meshorch" / "config.yaml"


class DriverError(Exception):
    """A hook cannot do its job; the message says what and where (Tacker shows it)."""


# ---- configuration ------------------------------------------------------------------------------


def _load_document(path: pathlib.Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DriverError(f"cannot read {path}: {e.strerror}") from None
    try:
        import yaml  # Debian: python3-yaml

        return yaml.safe_load(text)
    except ImportError:
        return json.loads(text)
    except Exception as e:  # yaml.YAMLError and friends
        raise DriverError(f"{path} is not valid YAML: {e}") from None


class Config:
    """The driver's configuration file, its relative paths resolved against its folder."""

    def __init__(self, data: Mapping[str, Any], base_dir: pathlib.Path, source: str):
        if not isinstance(data, Mapping):
            raise DriverError(f"{source}: expected a mapping at the top level")
        self.data = data
        self.base_dir = base_dir
        self.source = source
        self.timeout = float(data.get("timeout", 300))
        self.connection_point: Optional[str] = data.get("connection_point")
        self.vm_network: Optional[str] = data.get("vm_network")
        self.microservice: Optional[str] = data.get("microservice")
        self.version: Optional[str] = data.get("version")
        self.service: Optional[str] = data.get("service")

    @classmethod
    def load(cls, path: os.PathLike) -> "Config":
        p = pathlib.Path(path)
        return cls(_load_document(p) or {}, p.resolve().parent, str(p))

    def path(self, value: str) -> pathlib.Path:
        p = pathlib.Path(value)
        return p if p.is_absolute() else self.base_dir / p

    def spec_text(self) -> str:
        spec = self.data.get("spec")
        if not spec:
            raise DriverError(f"{self.source}: 'spec' (the meshorch service spec file) is missing")
        if isinstance(spec, Mapping):
            return json.dumps(spec)
        try:
            return self.path(spec).read_text(encoding="utf-8")
        except OSError as e:
            raise DriverError(f"{self.source}: cannot read spec {self.path(spec)}: {e.strerror}") \
                from None

    def backends(self) -> Tuple[Any, str]:
        """The backend configuration document (dict or text) and the folder it is relative to."""
        backends = self.data.get("backends")
        if not backends:
            raise DriverError(f"{self.source}: 'backends' (meshorch's backend configuration) "
                              "is missing")
        if isinstance(backends, Mapping):
            return dict(backends), str(self.base_dir)
        p = self.path(backends)
        try:
            return p.read_text(encoding="utf-8"), str(p.resolve().parent)
        except OSError as e:
            raise DriverError(f"{self.source}: cannot read backends {p}: {e.strerror}") from None


def find_config(request: Mapping[str, Any], vnf_instance: Mapping[str, Any],
                csar_dir: Optional[str]) -> Config:
    candidates = [
        ((request.get("additionalParams") or {}).get(META_CONFIG),
         f"additionalParams[{META_CONFIG!r}]"),
        ((vnf_instance.get("metadata") or {}).get(META_CONFIG), f"metadata[{META_CONFIG!r}]"),
        (os.environ.get(CONFIG_ENV), CONFIG_ENV),
    ]
    for value, where in candidates:
        if value:
            if not pathlib.Path(value).is_file():
                raise DriverError(f"configuration file {value} (from {where}) does not exist")
            return Config.load(value)
    if csar_dir and (pathlib.Path(csar_dir) / PACKAGED_CONFIG).is_file():
        return Config.load(pathlib.Path(csar_dir) / PACKAGED_CONFIG)
    raise DriverError(
        f"no meshorch configuration: set additionalParams[{META_CONFIG!r}], the VNF instance "
        f"metadata {META_CONFIG!r}, the environment variable {CONFIG_ENV}, or ship "
        f"{PACKAGED_CONFIG} in the VNF package")


# ---- the VNF instance, as Tacker reports it -------------------------------------------------------


def vnf_identity(vnf_instance: Mapping[str, Any], request: Mapping[str, Any],
                 config: Config) -> Tuple[Optional[str], str, str]:
    """(service, microservice, version) of this VNF."""
    metadata = vnf_instance.get("metadata") or {}
    params = request.get("additionalParams") or {}

    def pick(key: str, fallback: Optional[str]) -> Optional[str]:
        return metadata.get(key) or params.get(key) or fallback

    service = pick(META_SERVICE, config.service)
    microservice = pick(META_MICROSERVICE, config.microservice)
    version = pick(META_VERSION, config.version)
    name = vnf_instance.get("vnfInstanceName") or vnf_instance.get("id") or "(unnamed)"
    if not microservice or not version:
        raise DriverError(
            f"VNF instance {name}: which microservice and version it is, is unknown: set the "
            f"metadata {META_MICROSERVICE!r} and {META_VERSION!r} (or 'microservice' and "
            f"'version' in the configuration)")
    return service, microservice, version


def _addresses(cp_protocol_info: Iterable[Mapping[str, Any]]) -> List[str]:
    found = []
    for proto in cp_protocol_info or []:
        for ip in (proto.get("ipOverEthernet") or {}).get("ipAddresses") or []:
            found.extend(a for a in ip.get("addresses") or [] if a)
    return found


class Vnfc:
    """One VM (VNFC) of the VNF: ids Tacker knows it by, its server id, the address it reported."""

    def __init__(self, resource_info: Mapping[str, Any], vnfc_info_ids: Sequence[str],
                 ext_cps: Mapping[str, Mapping[str, Any]], connection_point: Optional[str]):
        self.id = resource_info.get("id", "")
        self.vdu_id = resource_info.get("vduId", "")
        self.vnfc_info_ids = list(vnfc_info_ids)
        compute = resource_info.get("computeResource") or {}
        self.server_id = compute.get("resourceId", "")
        self.address = ""
        for cp in resource_info.get("vnfcCpInfo") or []:
            if connection_point and cp.get("cpdId") != connection_point:
                continue
            found = _addresses(cp.get("cpProtocolInfo"))
            ext = ext_cps.get(cp.get("vnfExtCpId", ""))
            if not found and ext:
                found = _addresses(ext.get("cpProtocolInfo"))
            if found:
                self.address = found[0]
                break

    def known_as(self, vnfc_id: str) -> bool:
        return vnfc_id == self.id or vnfc_id in self.vnfc_info_ids

    def __repr__(self) -> str:
        return f"Vnfc({self.vdu_id} {self.id}: server {self.server_id} at {self.address or '?'})"


def vnfcs_of(vnf_instance: Mapping[str, Any], connection_point: Optional[str] = None) -> List[Vnfc]:
    """The VMs of the VNF in Tacker's order (their position is their WorkloadEntry index)."""
    info = vnf_instance.get("instantiatedVnfInfo") or {}
    ext_cps = {cp.get("id", ""): cp for cp in info.get("extCpInfo") or []}
    info_ids: Dict[str, List[str]] = {}
    for vnfc in info.get("vnfcInfo") or []:
        info_ids.setdefault(vnfc.get("vnfcResourceInfoId", ""), []).append(vnfc.get("id", ""))
    out = []
    for res in info.get("vnfcResourceInfo") or []:
        compute = res.get("computeResource") or {}
        # Only servers: a VNF of containers has Kubernetes resources here.
        kind = compute.get("vimLevelResourceType", "OS::Nova::Server")
        if kind != "OS::Nova::Server":
            continue
        out.append(Vnfc(res, info_ids.get(res.get("id", ""), []), ext_cps, connection_point))
    return out


# ---- address look-up -------------------------------------------------------------------------------


class NovaAddressResolver:
    """A server's address from Nova (``GET /servers/{id}``): the fixed address on `network` (or
    on the first network that has one). `session` is a keystoneauth1 Session; by default one is
    made from `auth` (Keystone v3 password credentials) or the OS_* environment variables."""

    def __init__(self, network: Optional[str] = None, auth: Optional[Mapping[str, str]] = None,
                 session: Any = None, region_name: Optional[str] = None,
                 interface: str = "public"):
        self.network = network
        self.region_name = region_name or (auth or {}).get("region_name") or \
            os.environ.get("OS_REGION_NAME")
        self.interface = interface
        self._auth = dict(auth or {})
        self._session = session

    def _make_session(self) -> Any:
        try:
            from keystoneauth1 import session as ks_session  # Debian: python3-keystoneauth1
            from keystoneauth1.identity import v3
        except ImportError:
            raise DriverError("looking up VM addresses in Nova needs keystoneauth1 "
                              "(python3-keystoneauth1)") from None
        a = self._auth
        env = os.environ
        auth = v3.Password(
            auth_url=a.get("auth_url") or env.get("OS_AUTH_URL"),
            username=a.get("username") or env.get("OS_USERNAME"),
            password=a.get("password") or env.get("OS_PASSWORD"),
            project_name=a.get("project_name") or env.get("OS_PROJECT_NAME"),
            user_domain_name=a.get("user_domain_name") or env.get("OS_USER_DOMAIN_NAME",
                                                                   "Default"),
            project_domain_name=a.get("project_domain_name") or env.get(
                "OS_PROJECT_DOMAIN_NAME", "Default"))
        if not auth.auth_url:
            raise DriverError("Nova look-up: no Keystone URL (configuration 'nova.auth_url' or "
                              "OS_AUTH_URL)")
        return ks_session.Session(auth=auth, verify=a.get("cacert") or env.get("OS_CACERT", True))

    def __call__(self, server_id: str) -> str:
        if self._session is None:
            self._session = self._make_session()
        endpoint = {"service_type": "compute", "interface": self.interface}
        if self.region_name:
            endpoint["region_name"] = self.region_name
        response = self._session.get(f"/servers/{server_id}", endpoint_filter=endpoint,
                                     raise_exc=False)
        if response.status_code != 200:
            raise DriverError(f"Nova: GET /servers/{server_id} answered {response.status_code}")
        addresses = (response.json().get("server") or {}).get("addresses") or {}
        networks = [self.network] if self.network else sorted(addresses)
        for net in networks:
            for entry in addresses.get(net) or []:
                if entry.get("OS-EXT-IPS:type", "fixed") == "fixed" and entry.get("addr"):
                    return entry["addr"]
        where = f"on network {self.network}" if self.network else "on any network"
        raise DriverError(f"Nova: server {server_id} has no fixed address {where}")


# ---- the hooks -------------------------------------------------------------------------------------


class Hooks:
    """The LCM hooks over meshorch's onboard_vm / offboard_vm.

    spec: the service spec (meshorch.Spec, text or dict); cluster, injector: meshorch ports;
    options: meshorch.OnboardingOptions; address_resolver(server_id) -> address, for VNFCs whose
    address Tacker does not report."""

    def __init__(self, meshorch_module: Any, spec: Any, cluster: Any, injector: Any,
                 options: Any = None, address_resolver: Optional[Callable[[str], str]] = None,
                 timeout: float = 300.0, connection_point: Optional[str] = None,
                 service: Optional[str] = None):
        self.m = meshorch_module
        self.spec = spec if isinstance(spec, meshorch_module.Spec) else \
            meshorch_module.load_spec(spec)
        self.cluster = cluster
        self.injector = injector
        self.options = options
        self.address_resolver = address_resolver
        self.timeout = timeout
        self.connection_point = connection_point
        self.service = service
        self.report: Dict[str, Any] = {"onboarded": [], "offboarded": []}

    # -- helpers --
    def _identity(self, vnf_instance, request, config_fallback) -> Tuple[str, str]:
        service, microservice, version = vnf_identity(vnf_instance, request, config_fallback)
        if service and service != self.spec.name:
            raise DriverError(f"VNF instance is part of service {service!r}, but the configured "
                              f"spec is service {self.spec.name!r}")
        return microservice, version

    def _vm(self, vnfc: Vnfc):
        address = vnfc.address
        if not address:
            if self.address_resolver is None:
                raise DriverError(f"VNFC {vnfc.id} (server {vnfc.server_id}): Tacker reports no "
                                  "address and no address look-up is configured")
            address = self.address_resolver(vnfc.server_id)
        return self.m.VmInstance(server_id=vnfc.server_id, address=address)

    def _onboard(self, ms: str, version: str, vnfcs: Sequence[Tuple[int, Vnfc]]) -> None:
        for index, vnfc in vnfcs:
            vm = self._vm(vnfc)
            try:
                entry = self.m.onboard_vm(self.spec, ms, version, vm, index, self.cluster,
                                          self.injector, self.options, self.timeout)
            except self.m.Error as e:
                raise DriverError(f"onboarding VNFC {vnfc.id} (server {vm.server_id} at "
                                  f"{vm.address}) as {ms}/{version} #{index} failed: {e}") from e
            self.report["onboarded"].append({
                "vnfc": vnfc.id, "server_id": vm.server_id, "address": vm.address,
                "workload_entry": entry["metadata"]["name"]})

    def _offboard(self, ms: str, version: str, vnfcs: Sequence[Tuple[int, Vnfc]]) -> None:
        for index, vnfc in vnfcs:
            # The proxy removal needs the VM's address; a VM whose address cannot be found any
            # more is offboarded by server id (its WorkloadEntry still goes).
            try:
                vm = self._vm(vnfc)
            except DriverError:
                vm = self.m.VmInstance(server_id=vnfc.server_id, address="")
            try:
                self.m.offboard_vm(self.spec, ms, version, vm, index, self.cluster,
                                   self.injector, self.options, self.timeout)
            except self.m.Error as e:
                raise DriverError(f"offboarding VNFC {vnfc.id} (server {vm.server_id}) of "
                                  f"{ms}/{version} #{index} failed: {e}") from e
            self.report["offboarded"].append({
                "vnfc": vnfc.id, "server_id": vm.server_id,
                "workload_entry": self.m.workload_entry_name(ms, version, index)})

    def _all(self, vnf_instance) -> List[Tuple[int, Vnfc]]:
        return list(enumerate(vnfcs_of(vnf_instance, self.connection_point)))

    # -- the hooks (SOL v2 shapes: camelCase dicts) --
    def instantiate_end(self, request, vnf_instance, config=None, **_):
        ms, version = self._identity(vnf_instance, request or {}, config or _NO_CONFIG)
        vms = self._all(vnf_instance)
        if not vms:
            raise DriverError(f"VNF instance {vnf_instance.get('id')} has no VM "
                              "(instantiatedVnfInfo.vnfcResourceInfo is empty)")
        self._onboard(ms, version, vms)

    def heal_end(self, request, vnf_instance, config=None, **_):
        ms, version = self._identity(vnf_instance, request or {}, config or _NO_CONFIG)
        vms = self._all(vnf_instance)
        wanted = list((request or {}).get("vnfcInstanceId") or [])
        healed = [(i, v) for i, v in vms if any(v.known_as(w) for w in wanted)]
        # A re-created VNFC may come back under new ids: then every VM is (re-)onboarded, which
        # changes nothing on the ones that were not healed.
        if not wanted or len(healed) < len(wanted):
            healed = vms
        self._onboard(ms, version, healed)

    def scale_end(self, request, vnf_instance, config=None, **_):
        if (request or {}).get("type") != "SCALE_OUT":
            return
        ms, version = self._identity(vnf_instance, request or {}, config or _NO_CONFIG)
        self._onboard(ms, version, self._all(vnf_instance))

    def scale_start(self, request, vnf_instance, grant_request=None, config=None, **_):
        if (request or {}).get("type") != "SCALE_IN":
            return
        ms, version = self._identity(vnf_instance, request or {}, config or _NO_CONFIG)
        leaving = {r.get("resource", {}).get("resourceId")
                   for r in (grant_request or {}).get("removeResources") or []
                   if r.get("type") == "COMPUTE"}
        self._offboard(ms, version, [(i, v) for i, v in self._all(vnf_instance)
                                     if v.server_id in leaving])

    def terminate_start(self, request, vnf_instance, config=None, **_):
        ms, version = self._identity(vnf_instance, request or {}, config or _NO_CONFIG)
        self._offboard(ms, version, self._all(vnf_instance))


_NO_CONFIG = Config({}, pathlib.Path("."), "(no configuration)")
HOOKS = ("instantiate_end", "heal_end", "scale_start", "scale_end", "terminate_start")


# ---- running as Tacker's script ----------------------------------------------------------------------


def _import_meshorch():
    try:
        import meshorch
    except ImportError:
        raise DriverError("the meshorch Python package is not installed on the Tacker "
                          "conductor host (python3 -c 'import meshorch' fails)") from None
    return meshorch


def build_hooks(config: Config, meshorch_module: Any = None) -> Hooks:
    """Hooks on the ports the configuration names (or the PORTS_ENV factory's)."""
    m = meshorch_module or _import_meshorch()
    factory = os.environ.get(PORTS_ENV)
    if factory:
        module_name, _, function = factory.partition(":")
        if not function:
            raise DriverError(f"{PORTS_ENV} must be 'module:function', not {factory!r}")
        cluster, injector, options = getattr(importlib.import_module(module_name), function)(
            config)
    else:
        backends, base_dir = config.backends()
        try:
            cluster, injector, options = m.connect_ports(backends, base_dir=base_dir)
        except m.Error as e:
            raise DriverError(f"{config.source}: backends: {e}") from e
    nova = config.data.get("nova")
    resolver = NovaAddressResolver(network=config.vm_network, auth=nova if isinstance(
        nova, Mapping) else None)
    try:
        spec = m.load_spec(config.spec_text())
    except m.Error as e:
        raise DriverError(f"{config.source}: spec: {e}") from e
    return Hooks(m, spec, cluster, injector, options, resolver, config.timeout,
                 config.connection_point, config.service)


def run(script_dict: Mapping[str, Any], make_hooks: Callable[[Config], Hooks] = build_hooks
        ) -> Dict[str, Any]:
    """Runs the hook Tacker asks for; returns the output dict (pickled to stdout)."""
    if not isinstance(script_dict, Mapping) or "operation" not in script_dict:
        raise DriverError("expected Tacker's pickled dict with 'operation' on stdin")
    operation = script_dict["operation"]
    request = script_dict.get("request") or {}
    vnf_instance = script_dict.get("vnf_instance") or {}
    if operation not in HOOKS:
        # Interfaces this driver has no business in (instantiate_start, ...): nothing to do.
        return {"meshorch": {"operation": operation, "skipped": True}}
    config = find_config(request, vnf_instance, script_dict.get("tmp_csar_dir"))
    hooks = make_hooks(config)
    getattr(hooks, operation)(request=request, vnf_instance=vnf_instance,
                              grant_request=script_dict.get("grant_request"), config=config)
    return {"meshorch": {"operation": operation, **hooks.report}}


def main() -> int:
    try:
        script_dict = pickle.load(sys.stdin.buffer)
        output = run(script_dict)
    except Exception as e:  # Tacker shows stderr as the operation's error
        sys.stderr.write(f"meshorch management driver: {e}\n")
        sys.stderr.flush()
        return 1
    sys.stdout.buffer.write(pickle.dumps(output))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
