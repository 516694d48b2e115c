"""JSON schemas of the SOL003 v2 request bodies, as Tacker validates them
(tacker/sol_refactored/api/schemas/vnflcm_v2.py), and Tacker's way of turning a
jsonschema failure into the ProblemDetails `detail` text."""
import jsonschema

from problem import validation

_ID = {"type": "string", "minLength": 1, "maxLength": 255}
_KV = {"type": "object"}

_VIM_CONNECTION_INFO = {
    "type": "object",
    "properties": {
        "vimId": {"type": "string", "maxLength": 255},
        "vimType": {"type": "string", "minLength": 1, "maxLength": 255},
        "interfaceInfo": _KV, "accessInfo": _KV, "extra": _KV,
    },
    "required": ["vimType"],
}

_EXT_VIRTUAL_LINK = {
    "type": "object",
    "properties": {
        "id": _ID, "vimConnectionId": _ID, "resourceProviderId": _ID, "resourceId": _ID,
        "extCps": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "properties": {"cpdId": _ID, "cpConfig": {"type": "object", "minProperties": 1}},
            "required": ["cpdId", "cpConfig"]}},
        "extLinkPorts": {"type": "array"},
    },
    "required": ["id", "resourceId", "extCps"],
}

_EXT_MANAGED_VIRTUAL_LINK = {
    "type": "object",
    "properties": {"id": _ID, "vnfVirtualLinkDescId": _ID, "resourceId": _ID},
    "required": ["id", "vnfVirtualLinkDescId", "resourceId"],
}

_VIM_MAP = {"type": "object", "patternProperties": {"^.*$": _VIM_CONNECTION_INFO}}

CREATE_VNF = {
    "type": "object",
    "properties": {
        "vnfdId": _ID,
        "vnfInstanceName": {"type": "string", "maxLength": 255},
        "vnfInstanceDescription": {"type": "string", "maxLength": 1024},
        "metadata": _KV,
    },
    "required": ["vnfdId"],
}

INSTANTIATE_VNF = {
    "type": "object",
    "properties": {
        "flavourId": _ID,
        "instantiationLevelId": _ID,
        "extVirtualLinks": {"type": "array", "items": _EXT_VIRTUAL_LINK},
        "extManagedVirtualLinks": {"type": "array", "items": _EXT_MANAGED_VIRTUAL_LINK},
        "vimConnectionInfo": _VIM_MAP,
        "localizationLanguage": {"type": "string", "maxLength": 255},
        "additionalParams": _KV, "extensions": _KV, "vnfConfigurableProperties": _KV,
    },
    "required": ["flavourId"],
}

TERMINATE_VNF = {
    "type": "object",
    "properties": {
        "terminationType": {"type": "string", "enum": ["FORCEFUL", "GRACEFUL"]},
        "gracefulTerminationTimeout": {"type": "integer", "minimum": 1},
        "additionalParams": _KV,
    },
    "required": ["terminationType"],
}

SCALE_VNF = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["SCALE_OUT", "SCALE_IN"]},
        "aspectId": _ID,
        "numberOfSteps": {"type": "integer", "minimum": 1},
        "additionalParams": _KV,
    },
    "required": ["type", "aspectId"],
}

HEAL_VNF = {
    "type": "object",
    "properties": {
        "cause": {"type": "string", "maxLength": 255},
        "additionalParams": _KV,
        "vnfcInstanceId": {"type": "array", "items": _ID},
        "healScript": {"type": "string", "maxLength": 255},
    },
}

_OPERATION_TYPES = ["INSTANTIATE", "SCALE", "SCALE_TO_LEVEL", "CHANGE_FLAVOUR",
                    "CHANGE_VNFPKG", "TERMINATE", "HEAL", "OPERATE", "CHANGE_EXT_CONN",
                    "MODIFY_INFO"]
OPERATION_STATES = ["STARTING", "PROCESSING", "COMPLETED", "FAILED_TEMP", "FAILED",
                    "ROLLING_BACK", "ROLLED_BACK"]

LCCN_SUBSCRIPTION = {
    "type": "object",
    "properties": {
        "filter": {
            "type": "object",
            "properties": {
                "vnfInstanceSubscriptionFilter": {
                    "type": "object",
                    "properties": {
                        "vnfdIds": {"type": "array", "items": _ID},
                        "vnfInstanceIds": {"type": "array", "items": _ID},
                        "vnfInstanceNames": {"type": "array", "items": {"type": "string"}},
                    }},
                "notificationTypes": {"type": "array", "items": {
                    "type": "string",
                    "enum": ["VnfLcmOperationOccurrenceNotification",
                             "VnfIdentifierCreationNotification",
                             "VnfIdentifierDeletionNotification"]}},
                "operationTypes": {"type": "array", "items": {
                    "type": "string", "enum": _OPERATION_TYPES}},
                "operationStates": {"type": "array", "items": {
                    "type": "string", "enum": OPERATION_STATES}},
            }},
        "callbackUri": {"type": "string", "maxLength": 255},
        "authentication": {"type": "object", "required": ["authType"]},
        "verbosity": {"type": "string", "enum": ["FULL", "SHORT"]},
    },
    "required": ["callbackUri"],
}


def validate(schema, body):
    """Raises a 400 ApiError whose detail reads like Tacker's validator output."""
    try:
        jsonschema.Draft7Validator(schema).validate(body)
    except jsonschema.ValidationError as ex:
        if len(ex.path) > 0:
            detail = ("Invalid input for field/attribute %s. Value: %s. %s"
                      % (ex.path.pop(), ex.instance, ex.message))
        else:
            detail = ex.message
        raise validation(detail)
