// ServiceRecord <-> JSON, the form a record has in the store. Exact round trip: every field,
// token expiries to the nanosecond, objects with their keys as stored.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/store.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace meshorch::store_detail {

boost::json::value encode_record(const ServiceRecord& record);
std::string encode_record_text(const ServiceRecord& record);

// Errc::io naming the field that is wrong (e.g. "observed[2].vms[0].address: not a string").
// Never throws.
Result<ServiceRecord> decode_record(const boost::json::value& document);
Result<ServiceRecord> decode_record_text(std::string_view text);

}  // namespace meshorch::store_detail
