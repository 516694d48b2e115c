#!/usr/bin/python3
"""The real OpenStack CLI with the tacker plugin (Debian python3-openstackclient and
python3-tackerclient, `--os-tacker-api-version 2`) against the Tacker emulator, through
a real Keystone: create, instantiate, op list/show until COMPLETED, show, terminate,
delete; a request without flavourId shows the emulator's ProblemDetails detail; every
VNF LCM request the client sent carried `Version: 2.0.0`."""
import json
import os
import subprocess
import time

from fidelity_support import Processes, Failure, check, http, run_main

VNFD_ID = "b1bb0ce7-ebca-4fa7-95ed-4840d70a1177"


class Cli:
    def __init__(self, ks, ca, auth="password"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
        env.update({"OS_AUTH_URL": ks["url"], "OS_IDENTITY_API_VERSION": "3",
                    "OS_REGION_NAME": ks["region"], "OS_INTERFACE": "public",
                    "OS_CACERT": ca, "OS_TACKER_API_VERSION": "2"})
        if auth == "password":
            env.update({"OS_USERNAME": ks["user"]["name"], "OS_PASSWORD": ks["user"]["password"],
                        "OS_PROJECT_NAME": ks["user"]["project"],
                        "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default"})
        else:
            env.update({"OS_AUTH_TYPE": "v3applicationcredential",
                        "OS_APPLICATION_CREDENTIAL_ID": ks["application_credential"]["id"],
                        "OS_APPLICATION_CREDENTIAL_SECRET":
                            ks["application_credential"]["secret"]})
        self.env = env

    def run(self, *args, expect_ok=True):
        argv = ["openstack", *args, "--os-tacker-api-version", "2"]
        proc = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=120)
        if expect_ok and proc.returncode != 0:
            raise Failure("%s failed (%d):\n%s%s" % (" ".join(argv), proc.returncode,
                                                     proc.stdout, proc.stderr))
        return proc

    def json(self, *args):
        return json.loads(self.run(*args, "-f", "json").stdout)


def write(path, body):
    with open(path, "w") as f:
        json.dump(body, f)
    return path


def test():
    with Processes() as p:
        pki = p.pki()
        ca = os.path.join(pki, "ca.pem")
        ks = p.keystone()
        emu = p.emulator(pki, ks, "--accept-any-vnfd", "--op-seconds", "0.3")
        p.register_catalog(ks, emu)
        cli = Cli(ks, ca)

        created = cli.json("vnflcm", "create", VNFD_ID, "--name", "fidelity-vnf",
                           "--description", "from the real CLI")
        inst_id = created["ID"]
        check(created["Instantiation State"] == "NOT_INSTANTIATED",
              "vnflcm create -> %s NOT_INSTANTIATED" % inst_id)

        good = write(os.path.join(p.dir, "instantiate.json"), {
            "flavourId": "simple", "instantiationLevelId": "instantiation_level_2",
            "vimConnectionInfo": {"vim1": {
                "vimId": "c3369b54-e376-4423-bb61-afd255900fea",
                "vimType": "ETSINFV.OPENSTACK_KEYSTONE.V_3",
                "interfaceInfo": {"endpoint": ks["url"]},
                "accessInfo": {"username": ks["user"]["name"],
                               "password": ks["user"]["password"],
                               "project": "demo", "projectDomain": "Default",
                               "userDomain": "Default", "region": "RegionOne"}}}})
        bad = write(os.path.join(p.dir, "no-flavour.json"),
                    {"instantiationLevelId": "instantiation_level_1"})
        proc = cli.run("vnflcm", "instantiate", inst_id, bad, expect_ok=False)
        check(proc.returncode != 0 and "'flavourId' is a required property" in proc.stderr,
              "instantiate without flavourId: CLI shows the ProblemDetails detail: %r"
              % proc.stderr.strip())

        proc = cli.run("vnflcm", "instantiate", inst_id, good)
        check("has been accepted" in proc.stdout, "vnflcm instantiate accepted: %r"
              % proc.stdout.strip())

        deadline = time.time() + 30
        while True:
            ops = cli.json("vnflcm", "op", "list")
            mine = [o for o in ops if o["VNF Instance ID"] == inst_id]
            if mine and mine[0]["Operation State"] == "COMPLETED" or time.time() > deadline:
                break
            time.sleep(0.3)
        check(len(mine) == 1 and mine[0]["Operation"] == "INSTANTIATE" and
              mine[0]["Operation State"] == "COMPLETED",
              "vnflcm op list shows INSTANTIATE COMPLETED: %s" % mine)
        op = cli.json("vnflcm", "op", "show", mine[0]["ID"])
        check(op["Operation State"] == "COMPLETED" and op["VNF Instance ID"] == inst_id,
              "vnflcm op show %s: COMPLETED" % mine[0]["ID"])

        shown = cli.json("vnflcm", "show", inst_id)
        info = shown["Instantiated Vnf Info"]
        if isinstance(info, str):
            info = json.loads(info)
        servers = [v["computeResource"]["resourceId"] for v in info["vnfcResourceInfo"]]
        check(shown["Instantiation State"] == "INSTANTIATED" and len(servers) == 2,
              "vnflcm show: INSTANTIATED with 2 VNFCs (instantiation_level_2)")
        vims = shown.get("VIM Connection Info") or shown.get("vimConnectionInfo")
        check("password" not in json.dumps(vims), "the VIM password is not shown back")

        token = http("POST", ks["url"] + "/auth/tokens", {"auth": {"identity": {
            "methods": ["application_credential"], "application_credential": {
                "id": ks["application_credential"]["id"],
                "secret": ks["application_credential"]["secret"]}}}})[1]["X-Subject-Token"]
        for sid in servers:
            status, _, body = http("GET", emu["nova"] + "/servers/" + sid,
                                   headers={"X-Auth-Token": token}, ca=ca)
            check(status == 200 and body["server"]["status"] == "ACTIVE" and
                  body["server"]["addresses"]["net0"][0]["addr"].startswith("10.10.0."),
                  "Nova shows server %s ACTIVE with an address" % sid)

        listed = Cli(ks, ca, auth="appcred").json("vnflcm", "list")
        check([v["ID"] for v in listed] == [inst_id],
              "vnflcm list with the application credential")

        proc = cli.run("vnflcm", "delete", inst_id, expect_ok=False)
        check(proc.returncode != 0 and "is instantiated" in proc.stderr,
              "delete of an instantiated VNF refused with 409 detail: %r" % proc.stderr.strip())

        proc = cli.run("vnflcm", "terminate", inst_id, "--termination-type", "FORCEFUL")
        check("has been accepted" in proc.stdout, "vnflcm terminate accepted")
        deadline = time.time() + 30
        while True:
            shown = cli.json("vnflcm", "show", inst_id)
            if shown["Instantiation State"] == "NOT_INSTANTIATED" or time.time() > deadline:
                break
            time.sleep(0.3)
        check(shown["Instantiation State"] == "NOT_INSTANTIATED", "terminated")
        status, _, body = http("GET", emu["nova"] + "/servers/" + servers[0],
                               headers={"X-Auth-Token": token}, ca=ca)
        check(status == 404 and "itemNotFound" in body, "its servers are gone from Nova")

        proc = cli.run("vnflcm", "delete", inst_id)
        check("deleted successfully" in proc.stdout, "vnflcm delete: %r" % proc.stdout.strip())
        check(cli.json("vnflcm", "list") == [], "vnflcm list is empty")

        state = http("GET", emu["control"] + "/state", ca=ca)[2]
        lcm = [r for r in state["requests"] if r["path"].startswith("/vnflcm/v2/")]
        check(lcm and all(r["version"] == "2.0.0" for r in lcm),
              "all %d VNF LCM requests of tackerclient carried Version: 2.0.0" % len(lcm))
        check(all(r["has_token"] for r in lcm), "and an X-Auth-Token")


if __name__ == "__main__":
    run_main(test)
