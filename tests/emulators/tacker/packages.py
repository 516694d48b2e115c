"""The VNF packages the emulated NFVO knows, and the emulator's model of their VNFD.

`--packages DIR`: every sub-directory DIR/<vnfdId>/ is an onboarded, ENABLED package
whose files are its artifacts (e.g. Files/kubernetes/deployment.yaml, referenced by
`additionalParams.lcm-kubernetes-def-files`). An optional DIR/<vnfdId>/package.json
overrides the VNFD model below.

VNFD model (the same for every package unless package.json says otherwise), following
how Tacker derives the number of VNFC instances: one VDU "VDU1"; instantiation levels
"instantiation_level_<N>" with N instances of VDU1 (N = 1..maxInstances, default level
instantiation_level_1); one scaling aspect "VDU1_aspect" whose every step adds or
removes one instance; scaleLevel = instances - 1, maxScaleLevel = maxInstances - 1.
"""
import json
import os

DEFAULT_MODEL = {
    "vnfProvider": "meshorch-test",
    "vnfProductName": "meshorch test VNF",
    "vnfSoftwareVersion": "1.0",
    "vnfdVersion": "1.0",
    "flavours": None,  # None: any flavourId is accepted
    "vduId": "VDU1",
    "aspectId": "VDU1_aspect",
    "maxInstances": 10,
    "defaultInstantiationLevel": "instantiation_level_1",
}


class Package:
    def __init__(self, vnfd_id, root=None, overrides=None):
        self.vnfd_id = vnfd_id
        self.root = root
        self.model = dict(DEFAULT_MODEL)
        self.model.update(overrides or {})

    def __getattr__(self, name):
        try:
            return self.model[name]
        except KeyError:
            raise AttributeError(name)

    def instances_for_level(self, level_id):
        """Instances of the VDU at this instantiation level, or None if unknown."""
        level_id = level_id or self.defaultInstantiationLevel
        levels = self.model.get("instantiationLevels")
        if levels is not None:
            return levels.get(level_id)
        prefix = "instantiation_level_"
        if level_id.startswith(prefix) and level_id[len(prefix):].isdigit():
            n = int(level_id[len(prefix):])
            if 1 <= n <= self.maxInstances:
                return n
        return None

    def artifact_files(self):
        if self.root is None:
            return set()
        files = set()
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                files.add(os.path.relpath(os.path.join(dirpath, name), self.root))
        return files

    def read_artifact(self, relpath):
        path = os.path.normpath(os.path.join(self.root, relpath))
        if not path.startswith(os.path.normpath(self.root) + os.sep):
            raise FileNotFoundError(relpath)
        with open(path) as f:
            return f.read()


class PackageCatalog:
    def __init__(self, packages_dir=None, accept_any=False):
        self.packages_dir = packages_dir
        self.accept_any = accept_any

    def get(self, vnfd_id):
        """The package of this vnfdId, or None when the NFVO does not know it."""
        if self.packages_dir:
            root = os.path.join(self.packages_dir, vnfd_id)
            if os.sep not in vnfd_id and vnfd_id not in (".", "..") and os.path.isdir(root):
                overrides = None
                meta = os.path.join(root, "package.json")
                if os.path.exists(meta):
                    with open(meta) as f:
                        overrides = json.load(f)
                return Package(vnfd_id, root, overrides)
        if self.accept_any:
            return Package(vnfd_id)
        return None
