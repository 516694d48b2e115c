#include <meshorch/state.hpp>

#include <cstdio>
#include <ctime>

namespace meshorch {

const char* to_string(OperationKind kind) noexcept {
    switch (kind) {
        case OperationKind::deploy: return "deploy";
        case OperationKind::reconfigure: return "reconfigure";
        case OperationKind::terminate: return "terminate";
        case OperationKind::heal: return "heal";
    }
    return "unknown";
}

const char* to_string(OperationState state) noexcept {
    switch (state) {
        case OperationState::pending: return "Pending";
        case OperationState::validating: return "Validating";
        case OperationState::planning: return "Planning";
        case OperationState::preparing: return "Preparing";
        case OperationState::instantiating: return "Instantiating";
        case OperationState::injecting: return "Injecting";
        case OperationState::configuring: return "Configuring";
        case OperationState::verifying: return "Verifying";
        case OperationState::succeeded: return "Succeeded";
        case OperationState::rolling_back: return "RollingBack";
        case OperationState::rolled_back: return "RolledBack";
        case OperationState::failed: return "Failed";
    }
    return "Unknown";
}

const char* to_string(WorkloadState state) noexcept {
    switch (state) {
        case WorkloadState::pending: return "Pending";
        case WorkloadState::creating: return "Creating";
        case WorkloadState::instantiating: return "Instantiating";
        case WorkloadState::running: return "Running";
        case WorkloadState::injecting: return "Injecting";
        case WorkloadState::in_mesh: return "InMesh";
        case WorkloadState::ready: return "Ready";
        case WorkloadState::draining: return "Draining";
        case WorkloadState::terminating: return "Terminating";
        case WorkloadState::terminated: return "Terminated";
        case WorkloadState::failed: return "Failed";
    }
    return "Unknown";
}

const char* to_string(ServicePhase phase) noexcept {
    switch (phase) {
        case ServicePhase::deploying: return "Deploying";
        case ServicePhase::ready: return "Ready";
        case ServicePhase::reconfiguring: return "Reconfiguring";
        case ServicePhase::terminating: return "Terminating";
        case ServicePhase::terminated: return "Terminated";
        case ServicePhase::failed: return "Failed";
    }
    return "Unknown";
}

bool is_terminal(OperationState state) noexcept {
    return state == OperationState::succeeded || state == OperationState::rolled_back ||
           state == OperationState::failed;
}

std::string WorkloadId::to_string() const {
    return microservice + "/" + version + "#" + std::to_string(instance);
}

namespace {

// RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string format_time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    int millis = static_cast<int>(ms % 1000);
    if (millis < 0) {
        millis += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

}  // namespace

std::string Event::to_string() const {
    std::string out = format_time(time);
    out += ' ';
    out += operation_id;
    out += ' ';
    out += service;
    out += ' ';
    out += meshorch::to_string(operation_kind);
    switch (type) {
        case Type::operation:
            out += ": operation ";
            out += meshorch::to_string(operation_state);
            break;
        case Type::workload:
            out += ": workload ";
            out += workload ? workload->to_string() : std::string("?");
            out += ' ';
            out += meshorch::to_string(workload_state);
            break;
        case Type::step: out += ": step"; break;
    }
    if (!message.empty()) {
        out += type == Type::step ? " " : ": ";
        out += message;
    }
    return out;
}

}  // namespace meshorch
