// The configuration of real backends (meshorch_orchestrator_create): parsed and checked so that
// a caller can get its config right before the adapters ship.
#pragma once

#include <meshorch/error.hpp>

#include <string>

namespace meshorch::capi {

// Errc::parse_error for malformed JSON, Errc::invalid_argument with every problem as a field
// error (path like "tacker.vim_ids.vm") otherwise.
Status check_backend_config(const std::string& text);

}  // namespace meshorch::capi
