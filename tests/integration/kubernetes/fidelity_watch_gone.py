#!/usr/bin/python3
"""Watch and list continuation across history compaction, with the official Python client:
a watch from a resourceVersion older than the kept history ends with an ERROR event carrying
a 410 Expired Status (the client raises ApiException 410), bookmarks carry the current
resourceVersion, and paginated lists continue with an opaque token until it is compacted."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubernetes import client, watch  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

from fidelity_python_client import api_client  # noqa: E402
from fidelity_support import Checks, Emulator  # noqa: E402


def config_map(name):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels={"set": "a"}),
                              data={"k": name})


def main():
    checks = Checks()
    with Emulator() as emu:
        core = client.CoreV1Api(api_client(emu))
        emu.control("POST", "config", {"history_limit": 5, "bookmark_interval_seconds": 0.2})
        start = core.list_namespaced_config_map("default").metadata.resource_version
        for n in range(10):
            core.create_namespaced_config_map("default", config_map("cm-%d" % n))
        try:
            for _ in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                          resource_version=start, timeout_seconds=3):
                pass
            checks.ok("a watch from a compacted resourceVersion fails", False, "it did not")
        except ApiException as exc:
            checks.ok("a watch from a compacted resourceVersion gets 410 Expired",
                      exc.status == 410 and "too old resource version" in exc.reason, exc.reason)

        # The raw stream: the ERROR event is a Status, as the real server sends it.
        resp = core.list_namespaced_config_map("default", watch=True, resource_version=start,
                                               timeout_seconds=2, _preload_content=False)
        lines = [json.loads(line) for line in resp.read().decode().splitlines() if line]
        checks.ok("the stream holds one ERROR event with a 410 Status",
                  len(lines) == 1 and lines[0]["type"] == "ERROR" and
                  lines[0]["object"]["kind"] == "Status" and lines[0]["object"]["code"] == 410 and
                  lines[0]["object"]["reason"] == "Expired", lines)

        recent = core.list_namespaced_config_map("default").metadata.resource_version
        core.patch_namespaced_config_map("cm-9", "default", {"data": {"k": "changed"}})
        resp = core.list_namespaced_config_map("default", watch=True, resource_version=recent,
                                               allow_watch_bookmarks=True, timeout_seconds=1,
                                               _preload_content=False)
        events = [json.loads(line) for line in resp.read().decode().splitlines() if line]
        types = [e["type"] for e in events]
        checks.ok("a watch from a recent resourceVersion sees the change, then bookmarks",
                  types[0] == "MODIFIED" and events[0]["object"]["data"]["k"] == "changed" and
                  "BOOKMARK" in types, types)
        bookmark = [e for e in events if e["type"] == "BOOKMARK"][-1]
        checks.ok("a bookmark carries the current resourceVersion",
                  int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(
                      events[0]["object"]["metadata"]["resourceVersion"]))

        page = core.list_namespaced_config_map("default", label_selector="set=a", limit=4)
        names = [c.metadata.name for c in page.items]
        token = page.metadata._continue
        while token:
            page = core.list_namespaced_config_map("default", label_selector="set=a", limit=4,
                                                   _continue=token)
            names += [c.metadata.name for c in page.items]
            token = page.metadata._continue
        checks.ok("limit + continue pages through every object once",
                  names == sorted("cm-%d" % n for n in range(10)), names)

        page = core.list_namespaced_config_map("default", label_selector="set=a", limit=4)
        core.create_namespaced_config_map("default", config_map("later"))
        emu.control("POST", "compact")
        try:
            core.list_namespaced_config_map("default", label_selector="set=a", limit=4,
                                            _continue=page.metadata._continue)
            checks.ok("a continue token from before a compaction fails", False, "it did not")
        except ApiException as exc:
            checks.ok("a continue token from before a compaction is 410 Expired",
                      exc.status == 410 and json.loads(exc.body)["reason"] == "Expired")
        checks.ok("the emulator logged no internal error", "Traceback" not in emu.errors(),
                  emu.errors())
    checks.done()


if __name__ == "__main__":
    main()
