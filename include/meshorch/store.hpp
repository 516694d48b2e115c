// Where the orchestrator keeps what it has applied, per service. In memory for now; the
// durable stores implement the same interface. Calls are synchronous: a local store answers
// at once, and a record must be written before the step that depends on it.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/object.hpp>
#include <meshorch/render.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace meshorch {

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
    std::map<std::string, ServiceRecord> records_;
};

}  // namespace meshorch
