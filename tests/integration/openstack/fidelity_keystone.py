#!/usr/bin/python3
"""The real Keystone started by scripts/start-keystone: the meshorch user gets a token
whose catalog lists the Tacker and Nova endpoints, the application credential works,
and with --token-expiration 3 the token really expires (Keystone refuses it, and so does
the Tacker emulator, which asks Keystone)."""
import threading
import time

from fidelity_support import Processes, check, http, password_token, run_main


def endpoints(token_body, service_type):
    for service in token_body.get("catalog", []):
        if service["type"] == service_type:
            return {e["interface"]: e["url"] for e in service["endpoints"]}
    return {}


def test():
    with Processes() as p:
        pki = p.pki()
        ks = p.keystone("--token-expiration", "3")
        check(ks["url"].startswith("http://127.0.0.1:") and ks["url"].endswith("/v3"),
              "start-keystone prints the v3 URL")
        emu = p.emulator(pki, ks, "--auth-cache-seconds", "0.5", "--accept-any-vnfd")
        p.register_catalog(ks, emu)

        token, body = password_token(ks, ks["user"]["name"], ks["user"]["password"],
                                     ks["user"]["project"])
        issued = time.time()
        roles = {r["name"] for r in body["roles"]}
        check({"member", "admin"} <= roles, "meshorch has member and admin on demo: %s" % roles)
        check(body["project"]["name"] == "demo", "token scoped to project demo")
        tacker = endpoints(body, "nfv-orchestration")
        nova = endpoints(body, "compute")
        check(tacker.get("public") == emu["tacker"] and tacker.get("internal") == emu["tacker"],
              "catalog lists nfv-orchestration public+internal at the emulator: %s" % tacker)
        check(nova.get("public") == emu["nova"], "catalog lists compute at the emulator: %s"
              % nova)

        results = []
        def login():
            results.append(password_token(ks, ks["user"]["name"], ks["user"]["password"],
                                          "demo")[0])
        threads = [threading.Thread(target=login) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        check(len(set(results)) == 8, "8 concurrent logins all get tokens")

        status, _, _ = http("POST", ks["url"] + "/auth/tokens", {"auth": {"identity": {
            "methods": ["application_credential"], "application_credential": {
                "id": ks["application_credential"]["id"],
                "secret": ks["application_credential"]["secret"]}}}})
        check(status == 201, "application credential authenticates (HTTP %d)" % status)

        ca = pki + "/ca.pem"
        v2 = {"X-Auth-Token": token, "Version": "2.0.0"}
        status, _, _ = http("GET", emu["tacker"] + "vnflcm/v2/vnf_instances", headers=v2, ca=ca)
        check(status == 200, "emulator accepts the fresh Keystone token (HTTP %d)" % status)
        status, _, _ = http("GET", emu["tacker"] + "vnflcm/v2/vnf_instances",
                            headers={"X-Auth-Token": "not-a-token", "Version": "2.0.0"}, ca=ca)
        check(status == 401, "emulator refuses a bogus token (HTTP %d)" % status)

        time.sleep(max(0.0, issued + 4.0 - time.time()))
        status, _, body = http("GET", ks["url"] + "/auth/tokens", headers={
            "X-Auth-Token": password_token(ks, "admin", ks["admin"]["password"], "admin")[0],
            "X-Subject-Token": token})
        check(status == 404, "Keystone refuses the expired token after 4 s (HTTP %d: %s)"
              % (status, body))
        status, headers, body = http("GET", emu["tacker"] + "vnflcm/v2/vnf_instances",
                                     headers=v2, ca=ca)
        check(status == 401 and "Keystone uri=" in headers.get("WWW-Authenticate", ""),
              "emulator refuses the expired token with 401 + WWW-Authenticate (HTTP %d)"
              % status)
        fresh, _ = password_token(ks, ks["user"]["name"], ks["user"]["password"], "demo")
        status, _, _ = http("GET", emu["tacker"] + "vnflcm/v2/vnf_instances",
                            headers={"X-Auth-Token": fresh, "Version": "2.0.0"}, ca=ca)
        check(status == 200, "a new token works again, the emulator renewed its own (HTTP %d)"
              % status)


if __name__ == "__main__":
    run_main(test)
