"""The exception hierarchy: one meshorch.Error subclass per error code, with the details."""

import builtins

import pytest

import meshorch

SUBCLASSES = {
    "SpecError": meshorch.ErrorCode.invalid_spec,
    "ParseError": meshorch.ErrorCode.parse_error,
    "NotFoundError": meshorch.ErrorCode.not_found,
    "ConflictError": meshorch.ErrorCode.conflict,
    "BusyError": meshorch.ErrorCode.busy,
    "TransientError": meshorch.ErrorCode.transient,
    "TimeoutError": meshorch.ErrorCode.timeout,
    "CancelledError": meshorch.ErrorCode.cancelled,
    "BackendError": meshorch.ErrorCode.backend,
    "InvalidArgumentError": meshorch.ErrorCode.invalid_argument,
    "InternalError": meshorch.ErrorCode.internal,
    "IoError": meshorch.ErrorCode.io,
}


@pytest.mark.parametrize("name", sorted(SUBCLASSES))
def test_every_error_derives_from_meshorch_error(name):
    cls = getattr(meshorch, name)
    assert issubclass(cls, meshorch.Error)
    assert issubclass(cls, Exception)
    assert cls.__module__ == "meshorch"
    assert cls.__doc__


def test_error_classes_also_fit_the_builtin_families():
    assert issubclass(meshorch.TimeoutError, builtins.TimeoutError)
    assert issubclass(meshorch.SpecError, ValueError)
    assert issubclass(meshorch.ParseError, meshorch.SpecError)
    assert issubclass(meshorch.InvalidArgumentError, ValueError)
    assert issubclass(meshorch.NotFoundError, LookupError)
    assert issubclass(meshorch.IoError, OSError)
    assert meshorch.TimeoutError is not builtins.TimeoutError


def test_error_attributes_have_defaults():
    e = meshorch.BackendError("refused")
    assert str(e) == "refused"
    assert e.http_status == 0 and e.body_excerpt == ""
    assert list(e.errors) == [] and e.line == 0 and e.column == 0


def test_raised_errors_carry_code_message_and_fields():
    with pytest.raises(meshorch.SpecError) as info:
        meshorch.load_spec("apiVersion: meshorch.io/v1alpha1\nkind: Service\nmetadata: {}\n")
    e = info.value
    assert e.code == meshorch.ErrorCode.invalid_spec
    assert e.message
    assert e.errors and all(isinstance(f, meshorch.FieldError) for f in e.errors)
    paths = {f.path for f in e.errors}
    assert "metadata.name" in paths
    # str() names every field problem.
    for f in e.errors:
        assert f.path in str(e)


def test_parse_error_has_line_and_column():
    with pytest.raises(meshorch.ParseError) as info:
        meshorch.load_spec("apiVersion: x\nkind: [unclosed\n")
    assert info.value.code == meshorch.ErrorCode.parse_error
    assert info.value.line >= 2
    assert info.value.column >= 1


def test_missing_file_is_an_io_error():
    with pytest.raises(meshorch.IoError) as info:
        meshorch.load_spec_file("/nonexistent/spec.yaml")
    assert isinstance(info.value, OSError)
    assert info.value.code == meshorch.ErrorCode.io


def test_field_error_is_a_value_type():
    a = meshorch.FieldError("spec.links[0].to", "unknown microservice", line=3, column=9)
    b = meshorch.FieldError(path="spec.links[0].to", reason="unknown microservice", line=3,
                            column=9)
    assert a == b and hash(a) == hash(b)
    assert a != meshorch.FieldError("spec.links[0].to", "other")
    assert repr(a) == ("FieldError(path='spec.links[0].to', reason='unknown microservice', "
                       "line=3, column=9)")
    assert "line 3" in str(a)
    a.line = 4
    assert a.line == 4
