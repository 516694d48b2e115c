// Where the orchestrator keeps what it has applied, per service. In memory for now; the
// durable stores implement the same interface. Calls are synchronous: a local store answers
// at once, and a record must be written before the step that depends on it.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/object.hpp>
#include <meshorch/render.hpp>
#include <meshorch/state.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace meshorch {

// An operation that has started and not ended, written to the store before each step that
// depends on it: what an orchestrator started later on the same store needs to finish it.
// Steps are idempotent (an existing VNF or object is adopted, never duplicated), so finishing
// means running the operation's pass again from this record.
struct OperationJournal {
    std::string id;
    OperationKind kind = OperationKind::deploy;
    OperationState state = OperationState::pending;  // the last state entered
    std::chrono::system_clock::time_point started;
    std::optional<ServiceSpec> target;  // deploy, reconfigure: the spec being applied
    WorkloadId workload;                // heal
    // Set once the operation failed and began to undo itself: a resumed operation goes on
    // rolling back (to ServiceRecord::applied_spec, or to nothing for a deploy).
    bool rolling_back = false;
    Errc error_code = Errc::internal;  // rolling back: why
    std::string error_message;
    // VNF names this operation created, scaled or removed: a rollback restores exactly these.
    std::set<std::string> touched_vnfs;
    // VNF names whose creation was asked for and whose id is not recorded yet: after a crash
    // they are looked up by name, so that a VNF made just before it is adopted, not leaked.
    std::set<std::string> creating_vnfs;
    std::map<std::string, std::string> lcm_operations;  // VNF name -> LCM op occurrence running
    // VM server ids whose proxy is being installed: a resumed operation installs it again.
    std::set<std::string> injecting;
};

// What exists for a service because meshorch made it.
struct ServiceRecord {
    std::string name;
    std::optional<ServiceSpec> applied_spec;  // the last spec that fully succeeded
    ObjectSet applied_objects;                // what is in the cluster
    std::map<std::string, std::string> vnfs;  // VNF name -> VNF instance id
    Observed observed;                        // VM addresses known
    bool namespace_created = false;           // meshorch created the namespace (delete it last)
    // VM server id -> when the bootstrap token on that VM's proxy expires (the token keeper
    // replaces it before then).
    std::map<std::string, std::chrono::system_clock::time_point> token_expiry;
    std::optional<OperationJournal> operation;  // the operation in flight, if any
};

class StateStore {
public:
    virtual ~StateStore() = default;
    virtual Result<std::optional<ServiceRecord>> load(const std::string& service) = 0;
    virtual Status save(const ServiceRecord& record) = 0;
    virtual Status erase(const std::string& service) = 0;
    virtual Result<std::vector<std::string>> list() = 0;
};

class MemoryStateStore final : public StateStore {
public:
    Result<std::optional<ServiceRecord>> load(const std::string& service) override;
    Status save(const ServiceRecord& record) override;
    Status erase(const std::string& service) override;
    Result<std::vector<std::string>> list() override;

private:
    std::mutex mutex_;
    std::unordered_map<std::string, ServiceRecord> records_;
};

}  // namespace meshorch
