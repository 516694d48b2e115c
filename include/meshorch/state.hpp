// Operation and workload states (DESIGN.md section 5), events and service status.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

enum class OperationKind { deploy, reconfigure, terminate, heal };

// Deploy:      pending validating preparing instantiating injecting configuring verifying succeeded
// Reconfigure: pending validating planning (then the deploy phases that have work) succeeded
// Terminate:   pending configuring (mesh config out) injecting (proxies and WorkloadEntries out)
//              instantiating (VNFs terminated) preparing (Services, SAs, namespace) succeeded
// Any failure: rolling_back -> rolled_back, or failed when nothing can be or could be undone.
enum class OperationState {
    pending,
    validating,
    planning,
    preparing,
    instantiating,
    injecting,
    configuring,
    verifying,
    succeeded,
    rolling_back,
    rolled_back,
    failed,
};

enum class WorkloadState {
    pending,
    creating,       // VNF identifier being created
    instantiating,  // LCM operation running
    running,        // VM up / pods running
    injecting,      // VM only: proxy being installed
    in_mesh,        // proxy up (VM: WorkloadEntry applied)
    ready,          // traffic configuration applied
    draining,       // routes moved away, about to go
    terminating,
    terminated,
    failed,
};

const char* to_string(OperationKind) noexcept;   // "deploy", ...
const char* to_string(OperationState) noexcept;  // "Pending", "Validating", ... (DESIGN.md names)
const char* to_string(WorkloadState) noexcept;   // "Pending", "Creating", ..., "InMesh", ...
bool is_terminal(OperationState) noexcept;       // succeeded, rolled_back, failed

// One workload instance: a VM, or (for a container version) the version's pods as a whole.
struct WorkloadId {
    std::string microservice;
    std::string version;
    int instance = 0;  // VM index within the version; 0 for container versions
    friend auto operator<=>(const WorkloadId&, const WorkloadId&) = default;
    std::string to_string() const;  // "reviews/v1#0"
};

struct Event {
    enum class Type { operation, workload, step };
    Type type = Type::step;
    std::chrono::system_clock::time_point time;
    std::string operation_id;
    std::string service;
    OperationKind operation_kind = OperationKind::deploy;
    OperationState operation_state = OperationState::pending;  // type operation (and current)
    std::optional<WorkloadId> workload;                        // type workload
    WorkloadState workload_state = WorkloadState::pending;
    std::string message;            // what happened, in words; the error for failures
    std::string to_string() const;  // one log line
};

struct WorkloadStatus {
    WorkloadId id;
    Substrate substrate = Substrate::vm;
    WorkloadState state = WorkloadState::pending;
    std::string vnf_id;
    std::string server_id;  // VMs
    std::string address;    // VMs
    std::string message;    // failure reason
};

enum class ServicePhase { deploying, ready, reconfiguring, terminating, terminated, failed };
const char* to_string(ServicePhase) noexcept;

struct ServiceStatus {
    std::string name;
    std::string namespace_;
    ServicePhase phase = ServicePhase::deploying;
    std::string last_operation_id;
    OperationKind last_operation_kind = OperationKind::deploy;
    OperationState last_operation_state = OperationState::pending;
    std::string message;  // why it failed, what remains after a failed rollback
    std::vector<WorkloadStatus> workloads;
    std::size_t applied_objects = 0;  // Kubernetes/Istio objects meshorch has applied
};

}  // namespace meshorch
