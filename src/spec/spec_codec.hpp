// The spec <-> JSON document mapping, shared by load_spec, dump_spec and the tests.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>

#include <boost/json/value.hpp>

#include <vector>

namespace meshorch::spec_detail {

struct Decoded {
    ServiceSpec spec;                  // as much as could be read
    std::vector<FieldError> errors;    // type errors, unknown and missing fields (no positions)
    bool namespace_defaulted = false;  // metadata.namespace was absent and copied from the name
};

// Reads the envelope document into a spec, applying the format's defaults (namespace = name,
// a link's port = the only port of its destination). Semantic checks are validate()'s job.
Decoded decode_spec(const boost::json::value& document);

}  // namespace meshorch::spec_detail
