"""Tacker-shaped data for the driver tests, built from Tacker's own API samples
(../shared/data/tacker, see its SOURCE.md) with the ids and addresses of simulated VMs."""

import copy
import json
import os
import pathlib

SHARED = pathlib.Path(os.environ.get(
    "MESHORCH_SHARED_DIR", pathlib.Path(__file__).resolve().parents[4] / "shared"))
SAMPLES = SHARED / "data" / "tacker" / "tacker-api-ref" / "v2" / "vnflcm"


def sample(name: str):
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def vnf_instance(vms, service="shop", microservice="cart", version="v1", fixed_address=True):
    """GET /vnflcm/v2/vnf_instances/{id} as Tacker answers it, for a VNF whose VMs are `vms`
    (meshorch.VmInstance, in VNFC order). The sample has two VNFCs: VDU2 (its CP VDU2_CP1 has a
    fixed address in extCpInfo) and VDU1 (dynamic addresses, which Tacker does not report).
    The first VM takes VDU2's place (with its address reported when fixed_address), the others
    are copies of VDU1 (no address reported)."""
    inst = sample("show-vnf-instance-response.json")
    info = inst["instantiatedVnfInfo"]
    vdu2, vdu1 = info["vnfcResourceInfo"]
    vdu2_info, vdu1_info = info["vnfcInfo"]
    resources, vnfc_infos = [], []
    for i, vm in enumerate(vms):
        res = copy.deepcopy(vdu2 if i == 0 else vdu1)
        vnfc = copy.deepcopy(vdu2_info if i == 0 else vdu1_info)
        if i > 0:
            res["id"] = f"{vdu1['id']}-{i}"
            vnfc["id"] = f"{vdu1_info['id']}-{i}"
            for cp in res["vnfcCpInfo"]:
                cp["id"] = f"{cp['id']}-{i}"
        res["computeResource"]["resourceId"] = vm.server_id
        vnfc["vnfcResourceInfoId"] = res["id"]
        resources.append(res)
        vnfc_infos.append(vnfc)
    info["vnfcResourceInfo"] = resources
    info["vnfcInfo"] = vnfc_infos
    # VDU2_CP1's external CP carries the first VM's fixed address.
    for cp in info["extCpInfo"]:
        if cp["cpdId"] == "VDU2_CP1":
            ip = cp["cpProtocolInfo"][0]["ipOverEthernet"]["ipAddresses"][0]
            ip["addresses"] = [vms[0].address] if fixed_address else []
        elif cp["cpdId"] == "VDU2_CP2":  # another network's address: not the mesh's
            cp["cpProtocolInfo"][0]["ipOverEthernet"]["ipAddresses"][0]["addresses"] = []
    inst["metadata"] = {"meshorch.io/service": service, "meshorch.io/microservice": microservice,
                        "meshorch.io/version": version}
    return inst


def vnfc_info_id(inst, server_id):
    """The vnfcInfo id (what a heal request names) of the VNFC on this server."""
    info = inst["instantiatedVnfInfo"]
    res = [r for r in info["vnfcResourceInfo"]
           if r["computeResource"]["resourceId"] == server_id][0]
    return [v["id"] for v in info["vnfcInfo"] if v["vnfcResourceInfoId"] == res["id"]][0]


def heal_request(vnfc_ids):
    req = sample("heal-vnf-instance-request.json")
    req["vnfcInstanceId"] = list(vnfc_ids)
    return req


def instantiate_request(config_path=None):
    req = sample("instantiate-vnf-instance-request.json")
    if config_path:
        req.setdefault("additionalParams", {})["meshorch.io/config"] = str(config_path)
    return req


def terminate_request():
    return sample("terminate-vnf-instance-request.json")
