#include "api/json_encoding.hpp"

#include <cstdio>
#include <ctime>

namespace meshorch::api {

namespace json = boost::json;

json::array encode_fields(const std::vector<FieldError>& fields) {
    json::array out;
    for (const auto& f : fields) {
        json::object o;
        o["path"] = f.path;
        o["reason"] = f.reason;
        if (f.line > 0) {
            o["line"] = f.line;
            o["column"] = f.column;
        }
        out.push_back(std::move(o));
    }
    return out;
}

json::object encode_error(const Error& error) {
    json::object o;
    o["code"] = to_string(error.code);
    o["message"] = error.message;
    o["fields"] = encode_fields(error.fields);
    if (error.line > 0) {
        o["line"] = error.line;
        o["column"] = error.column;
    }
    if (error.http_status != 0) {
        o["httpStatus"] = error.http_status;
        o["bodyExcerpt"] = error.body_excerpt;
    }
    return o;
}

json::object encode_workload_id(const WorkloadId& id) {
    return {{"id", id.to_string()},
            {"microservice", id.microservice},
            {"version", id.version},
            {"instance", id.instance}};
}

json::object encode(const ServiceStatus& status) {
    json::array workloads;
    for (const auto& w : status.workloads) {
        json::object o = encode_workload_id(w.id);
        o["substrate"] = to_string(w.substrate);
        o["state"] = to_string(w.state);
        o["vnfId"] = w.vnf_id;
        o["serverId"] = w.server_id;
        o["address"] = w.address;
        o["message"] = w.message;
        workloads.push_back(std::move(o));
    }
    json::object o;
    o["name"] = status.name;
    o["namespace"] = status.namespace_;
    o["phase"] = to_string(status.phase);
    if (status.last_operation_id.empty()) {
        o["lastOperation"] = nullptr;
    } else {
        o["lastOperation"] = {{"id", status.last_operation_id},
                              {"kind", to_string(status.last_operation_kind)},
                              {"state", to_string(status.last_operation_state)}};
    }
    o["message"] = status.message;
    o["appliedObjects"] = status.applied_objects;
    o["workloads"] = std::move(workloads);
    return o;
}

json::object encode(const Operation& operation) {
    json::object o;
    o["id"] = operation.id();
    o["kind"] = to_string(operation.kind());
    o["service"] = operation.service();
    o["state"] = to_string(operation.state());
    const bool done = operation.done();
    o["done"] = done;
    o["error"] = nullptr;
    if (done) {
        const Status result = operation.result();
        if (!result) o["error"] = encode_error(result.error());
    }
    return o;
}

const char* event_type(Event::Type type) noexcept {
    switch (type) {
        case Event::Type::operation: return "operation";
        case Event::Type::workload: return "workload";
        case Event::Type::step: return "step";
    }
    return "step";
}

json::object encode(const Event& event) {
    json::object o;
    o["type"] = event_type(event.type);
    o["time"] = rfc3339(event.time);
    o["operationId"] = event.operation_id;
    o["service"] = event.service;
    o["operationKind"] = to_string(event.operation_kind);
    o["operationState"] = to_string(event.operation_state);
    if (event.workload) {
        o["workload"] = encode_workload_id(*event.workload);
        o["workloadState"] = to_string(event.workload_state);
    }
    o["message"] = event.message;
    return o;
}

std::string rfc3339(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto since_epoch = time.time_since_epoch();
    const auto secs = duration_cast<seconds>(since_epoch);
    const auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
    const std::time_t t = static_cast<std::time_t>(secs.count());
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char text[96];  // room for any int the format could see
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis < 0 ? 0 : millis));
    return text;
}

}  // namespace meshorch::api
