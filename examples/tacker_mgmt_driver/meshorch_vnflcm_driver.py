"""meshorch's VM sidecar injector as a Tacker v1 VNF LCM management driver.

Tacker v1 (``tacker.vnflcm``) loads management drivers as classes: register this one under the
``tacker.tacker.mgmt.drivers`` entry point (name ``meshorch``) and enable it in tacker.conf::

    [tacker]
    vnflcm_mgmt_driver = vnflcm_noop,meshorch

then name it in the VNFD (``interfaces: Vnflcm: instantiate_end: implementation:
mgmt-drivers-meshorch`` with an artifact of that name). It runs the hooks of
meshorch_mgmt_driver.py (next to this file; see its docstring for the configuration) on Tacker's
v1 objects, which it converts to the SOL v2 shapes those hooks read.

When Tacker is importable the class derives from Tacker's ``VnflcmMgmtAbstractDriver``; without
Tacker (tests, documentation builds) from a compatible stand-in with the same methods.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, Mapping, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import meshorch_mgmt_driver as hooks_module  # noqa: E402

try:  # pragma: no cover - Tacker is not installed where the tests run
    from tacker.vnfm.mgmt_drivers.vnflcm_abstract_driver import (
        VnflcmMgmtAbstractDriver as _Base)
except ImportError:
    import abc

    class _Base(metaclass=abc.ABCMeta):  # the methods of Tacker's VnflcmMgmtAbstractDriver
        @abc.abstractmethod
        def get_type(self): ...

        @abc.abstractmethod
        def get_name(self): ...

        @abc.abstractmethod
        def get_description(self): ...


# Keys whose values are free-form maps: their keys are data, not field names.
_OPAQUE = {"metadata", "vnf_metadata", "additional_params", "additionalParams", "extensions",
           "vnf_configurable_properties", "vim_connection_info"}


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def to_sol(value: Any) -> Any:
    """A Tacker v1 object (or its to_dict()) as the SOL camelCase dict the hooks read."""
    if hasattr(value, "to_dict") and callable(value.to_dict):
        value = value.to_dict()
    elif hasattr(value, "obj_to_primitive") and hasattr(value, "fields"):
        value = {k: getattr(value, k) for k in value.fields if value.obj_attr_is_set(k)}
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            key = "metadata" if k == "vnf_metadata" else _camel(k)
            out[key] = dict(v) if k in _OPAQUE and isinstance(v, Mapping) else to_sol(v)
        return out
    if isinstance(value, (list, tuple)):
        return [to_sol(v) for v in value]
    return value


class MeshorchMgmtDriver(_Base):
    """instantiate_end / heal_end / scale_start / scale_end / terminate_start join the VNF's VMs
    to the mesh or take them out; the other interfaces do nothing.

    make_hooks(config) -> Hooks: how the hooks reach meshorch (default: the configuration's
    backends); config_path: the configuration file (default: as meshorch_mgmt_driver finds it).
    """

    def __init__(self, make_hooks: Optional[Callable[[Any], Any]] = None,
                 config_path: Optional[str] = None):
        self._make_hooks = make_hooks or hooks_module.build_hooks
        self._config_path = config_path

    def get_type(self):
        return "meshorch"

    def get_name(self):
        return "meshorch"

    def get_description(self):
        return "meshorch: joins the VNF's VMs to the Istio mesh (proxy, then WorkloadEntry)"

    # -- the hooks meshorch acts on --
    def _run(self, operation: str, vnf_instance: Any, request: Any, grant_request: Any,
             kwargs: Mapping[str, Any]) -> Mapping[str, Any]:
        inst = to_sol(vnf_instance)
        req = to_sol(request) if request is not None else {}
        if self._config_path:
            config = hooks_module.Config.load(self._config_path)
        else:
            config = hooks_module.find_config(req, inst, kwargs.get("csar_dir"))
        hooks = self._make_hooks(config)
        getattr(hooks, operation)(request=req, vnf_instance=inst,
                                  grant_request=to_sol(grant_request) if grant_request else None,
                                  config=config)
        return hooks.report

    def instantiate_end(self, context, vnf_instance, instantiate_vnf_request, grant,
                        grant_request, **kwargs):
        return self._run("instantiate_end", vnf_instance, instantiate_vnf_request, grant_request,
                         kwargs)

    def heal_end(self, context, vnf_instance, heal_vnf_request, grant, grant_request, **kwargs):
        return self._run("heal_end", vnf_instance, heal_vnf_request, grant_request, kwargs)

    def scale_start(self, context, vnf_instance, scale_vnf_request, grant, grant_request,
                    **kwargs):
        return self._run("scale_start", vnf_instance, scale_vnf_request, grant_request, kwargs)

    def scale_end(self, context, vnf_instance, scale_vnf_request, grant, grant_request,
                  **kwargs):
        return self._run("scale_end", vnf_instance, scale_vnf_request, grant_request, kwargs)

    def terminate_start(self, context, vnf_instance, terminate_vnf_request, grant,
                        grant_request, **kwargs):
        return self._run("terminate_start", vnf_instance, terminate_vnf_request, grant_request,
                         kwargs)

    # -- the interfaces meshorch has nothing to do in --
    def instantiate_start(self, context, vnf_instance, instantiate_vnf_request, grant,
                          grant_request, **kwargs):
        pass

    def terminate_end(self, context, vnf_instance, terminate_vnf_request, grant, grant_request,
                      **kwargs):
        pass

    def heal_start(self, context, vnf_instance, heal_vnf_request, grant, grant_request,
                   **kwargs):
        pass

    def change_external_connectivity_start(self, context, vnf_instance,
                                           change_ext_conn_request, grant, grant_request,
                                           **kwargs):
        pass

    def change_external_connectivity_end(self, context, vnf_instance, change_ext_conn_request,
                                         grant, grant_request, **kwargs):
        pass

    def modify_information_start(self, context, vnf_instance, modify_vnf_request, **kwargs):
        pass

    def modify_information_end(self, context, vnf_instance, modify_vnf_request, **kwargs):
        pass
