// Spec edits for moving a microservice's traffic from one version to another (e.g. from its VM
// version to its container version) as a series of reconfigures.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>

#include <string>

namespace meshorch::cli {

// Every route into `microservice` whose split names `from` or `to` gives `from` `from_percent`
// of what the two had together, and `to` the rest. Fails when no route splits between them
// and `from` and `to` are not both versions of the microservice.
Result<ServiceSpec> shift_weight(ServiceSpec spec, const std::string& microservice,
                                 const std::string& from, const std::string& to, int from_percent);

// Removes a version that no longer receives traffic: from the microservice and from every
// split (where its weight must be 0) and mirror.
Result<ServiceSpec> remove_version(ServiceSpec spec, const std::string& microservice,
                                   const std::string& version);

}  // namespace meshorch::cli
