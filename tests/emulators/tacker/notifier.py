"""LCM notifications to subscribers (SOL003 5.5.2.17 VnfLcmOperationOccurrenceNotification,
VnfIdentifierCreation/DeletionNotification), delivered in order from one thread.

As Tacker does (v2_nfvo.test_callback_uri), a new subscription is accepted only if a GET
to its callbackUri answers 204.
"""
import json
import queue
import ssl
import sys
import threading
import urllib.error
import urllib.request

from store import new_id, now_text

START_STATES = ("STARTING", "ROLLING_BACK")


def _filter_allows(subsc, notif_type, inst, operation=None, state=None):
    flt = subsc.get("filter") or {}
    if flt.get("notificationTypes") and notif_type not in flt["notificationTypes"]:
        return False
    if operation and flt.get("operationTypes") and operation not in flt["operationTypes"]:
        return False
    if state and flt.get("operationStates") and state not in flt["operationStates"]:
        return False
    inst_flt = flt.get("vnfInstanceSubscriptionFilter") or {}
    if inst_flt.get("vnfdIds") and inst["vnfdId"] not in inst_flt["vnfdIds"]:
        return False
    if inst_flt.get("vnfInstanceIds") and inst["id"] not in inst_flt["vnfInstanceIds"]:
        return False
    if (inst_flt.get("vnfInstanceNames") and
            inst.get("vnfInstanceName") not in inst_flt["vnfInstanceNames"]):
        return False
    return True


class Notifier:
    def __init__(self, store, ca_file=None, timeout=5.0):
        self.store = store
        self.timeout = timeout
        self.ssl_context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        self.queue = queue.Queue()
        self.delivered = 0
        self.failed = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _open(self, req):
        return urllib.request.urlopen(req, timeout=self.timeout, context=self.ssl_context)

    def test_callback(self, uri):
        """True when GET uri answers 204."""
        try:
            with self._open(urllib.request.Request(uri, method="GET")) as resp:
                return resp.status == 204
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def _run(self):
        while True:
            uri, body = self.queue.get()
            data = json.dumps(body).encode()
            req = urllib.request.Request(uri, data=data, method="POST", headers={
                "Content-Type": "application/json", "Version": "2.0.0"})
            try:
                with self._open(req) as resp:
                    resp.read()
                self.delivered += 1
            except (urllib.error.URLError, OSError, ValueError) as e:
                self.failed += 1
                print("tacker emulator: notification to %s failed: %s" % (uri, e),
                      file=sys.stderr, flush=True)

    def _links(self, subsc, inst_id, occ_id=None):
        links = {"vnfInstance": {"href": self.store.inst_href(inst_id)},
                 "subscription": {"href": self.store.subsc_href(subsc["id"])}}
        if occ_id:
            links["vnfLcmOpOcc"] = {"href": self.store.occ_href(occ_id)}
        return links

    def lcm_op_occ_changed(self, occ, inst):
        """Call with the store lock held, right after occ's operationState changed."""
        notif_type = "VnfLcmOperationOccurrenceNotification"
        state = occ["operationState"]
        for subsc in self.store.subscriptions.values():
            if not _filter_allows(subsc, notif_type, inst, occ["operation"], state):
                continue
            body = {
                "id": new_id(),
                "notificationType": notif_type,
                "subscriptionId": subsc["id"],
                "timeStamp": now_text(),
                "notificationStatus": "START" if state in START_STATES else "RESULT",
                "operationState": state,
                "vnfInstanceId": inst["id"],
                "operation": occ["operation"],
                "isAutomaticInvocation": occ["isAutomaticInvocation"],
                "vnfLcmOpOccId": occ["id"],
                "_links": self._links(subsc, inst["id"], occ["id"]),
            }
            if subsc.get("verbosity", "FULL") == "FULL" and state not in START_STATES:
                if "resourceChanges" in occ:
                    body["affectedVnfcs"] = occ["resourceChanges"].get("affectedVnfcs", [])
                if "error" in occ:
                    body["error"] = occ["error"]
            self.queue.put((subsc["callbackUri"], body))

    def identifier_changed(self, inst, created):
        notif_type = ("VnfIdentifierCreationNotification" if created
                      else "VnfIdentifierDeletionNotification")
        for subsc in self.store.subscriptions.values():
            if not _filter_allows(subsc, notif_type, inst):
                continue
            self.queue.put((subsc["callbackUri"], {
                "id": new_id(), "notificationType": notif_type,
                "subscriptionId": subsc["id"], "timeStamp": now_text(),
                "vnfInstanceId": inst["id"], "_links": self._links(subsc, inst["id"])}))
