// Drift: when an orchestrator starts on a store that knows Ready services, it reads back what
// their records say meshorch applied (objects, VNFs, VMs) and reports every difference: one
// event per difference and a summary in the service's status message. Nothing is changed; a
// reconfigure with the same spec writes the objects again.
#include "engine/drift_check.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

namespace meshorch::engine {

namespace {

namespace json = boost::json;

// Where `want` is not contained in `have` (servers add defaults, status and metadata), or "".
std::string first_difference(const json::value& have, const json::value& want,
                             const std::string& path) {
    if (want.is_object()) {
        if (!have.is_object()) return path + ": not an object any more";
        for (const auto& [key, value] : want.get_object()) {
            const std::string at = path + "." + std::string(key);
            const json::value* h = have.get_object().if_contains(key);
            if (!h) return at + ": missing";
            if (std::string d = first_difference(*h, value, at); !d.empty()) return d;
        }
        return {};
    }
    if (want.is_array()) {
        if (!have.is_array() || have.get_array().size() != want.get_array().size()) {
            return path + ": " + json::serialize(have) + " instead of " + json::serialize(want);
        }
        for (std::size_t i = 0; i < want.get_array().size(); ++i) {
            const std::string at = path + "[" + std::to_string(i) + "]";
            if (std::string d = first_difference(have.get_array()[i], want.get_array()[i], at);
                !d.empty()) {
                return d;
            }
        }
        return {};
    }
    if (have == want) return {};
    return path + ": " + json::serialize(have) + " instead of " + json::serialize(want);
}

// The parts of an object meshorch sets and nobody else should change.
std::string object_difference(const Object& live, const Object& applied) {
    for (const char* part : {"spec", "data"}) {
        const json::value* want = applied.manifest.if_contains(part);
        if (!want) continue;
        const json::value* have = live.manifest.if_contains(part);
        if (!have) return std::string(part) + ": missing";
        if (std::string d = first_difference(*have, *want, part); !d.empty()) return d;
    }
    const json::value* want_md = applied.manifest.if_contains("metadata");
    const json::value* have_md = live.manifest.if_contains("metadata");
    if (want_md && want_md->is_object() && have_md) {
        for (const char* part : {"labels", "annotations"}) {
            const json::value* want = want_md->get_object().if_contains(part);
            if (!want) continue;
            const json::value* have =
                have_md->is_object() ? have_md->get_object().if_contains(part) : nullptr;
            const std::string at = std::string("metadata.") + part;
            if (!have) return at + ": missing";
            if (std::string d = first_difference(*have, *want, at); !d.empty()) return d;
        }
    }
    return {};
}

class DriftCheck {
public:
    DriftCheck(Core& core, ServiceRecord record)
        : core_(core), record_(std::move(record)), tag_("[drift " + record_.name + "]") {}

    Task<void> run() {
        for (const auto& [key, applied] : record_.applied_objects) {
            auto got_task = get_object(key);
            auto got = co_await std::move(got_task);
            if (!got.ok()) {
                incomplete(got.error());
                continue;
            }
            if (!*got) {
                found(key.to_string() + " is missing");
                drifted_.insert(key);
            } else if (std::string d = object_difference(**got, applied); !d.empty()) {
                found(key.to_string() + " changed: " + d);
                drifted_.insert(key);
            }
        }
        for (const auto& [name, id] : record_.vnfs) {
            auto got_task = get_vnf(id);
            auto got = co_await std::move(got_task);
            if (!got.ok()) {
                if (got.error().code == Errc::not_found) {
                    found("VNF " + name + " (" + id + ") is missing");
                } else {
                    incomplete(got.error());
                }
                continue;
            }
            compare_vnf(name, *got);
        }
        report();
    }

private:
    Task<Result<std::optional<Object>>> get_object(ObjectKey key) {
        auto cluster = core_.cluster;
        return call_port<std::optional<Object>>(
            core_.registry, core_.cluster_slots, context(),
            [cluster, key](const CallContext& c, Callback<std::optional<Object>> cb) {
                cluster->get(key, c, std::move(cb));
            });
    }

    Task<Result<VnfInstance>> get_vnf(std::string id) {
        auto vnfm = core_.vnfm;
        return call_port<VnfInstance>(core_.registry, core_.vnfm_slots, context(),
                                      [vnfm, id](const CallContext& c, Callback<VnfInstance> cb) {
                                          vnfm->get_vnf(id, c, std::move(cb));
                                      });
    }

    CallContext context() const {
        CallContext c;
        c.deadline = Clock::now() + core_.options.call_timeout;
        c.operation_id = "drift";
        return c;
    }

    void compare_vnf(const std::string& name, const VnfInstance& vnf) {
        if (!vnf.instantiated) {
            found("VNF " + name + " (" + vnf.id + ") is no longer instantiated");
            return;
        }
        for (const auto& [key, vms] : record_.observed.vms) {
            if (vnf_name_of(record_.name, key.first, key.second) != name) continue;
            for (const auto& vm : vms) {
                auto live = std::find_if(vnf.vms.begin(), vnf.vms.end(), [&](const VmInstance& v) {
                    return v.server_id == vm.server_id;
                });
                if (live == vnf.vms.end()) {
                    found("VM " + vm.server_id + " (" + vm.address + ") of " + key.first + "/" +
                          key.second + " is gone");
                } else if (live->address != vm.address) {
                    found("VM " + vm.server_id + " of " + key.first + "/" + key.second +
                          " moved from " + vm.address + " to " + live->address);
                }
            }
        }
    }

    void found(std::string difference) {
        core_.log->warn("{} {}", tag_, difference);
        differences_.push_back(difference);
        publish("drift: " + difference);
    }

    void incomplete(const Error& e) {
        core_.log->warn("{} could not look: {}", tag_, e.message);
        unreadable_.push_back(e.message);
    }

    void report() {
        std::string summary;
        if (!differences_.empty()) {
            summary = "drift found after a restart (" + std::to_string(differences_.size()) +
                      "): " + differences_.front();
            if (differences_.size() > 1) summary += "; and more (see events)";
            if (!drifted_.empty()) {
                summary +=
                    "; the next operation on the service (a reconfigure with the same "
                    "spec will do) writes the objects again";
            }
        }
        if (!unreadable_.empty()) {
            if (!summary.empty()) summary += "; ";
            summary += "drift check incomplete: " + unreadable_.front();
        }
        if (summary.empty()) {
            core_.log->info("{} no drift", tag_);
            return;
        }
        core_.note_drift(record_.name, std::move(drifted_));
        publish(summary);
        core_.update_service(record_.name, [&](ServiceEntry& e) {
            if (!e.active && e.status.message.empty()) e.status.message = summary;
        });
    }

    void publish(std::string message) {
        Event ev;
        ev.type = Event::Type::step;
        ev.time = std::chrono::system_clock::now();
        ev.service = record_.name;
        ev.message = std::move(message);
        core_.publish(std::move(ev));
    }

    Core& core_;
    ServiceRecord record_;
    std::string tag_;
    std::vector<std::string> differences_;
    std::set<ObjectKey> drifted_;
    std::vector<std::string> unreadable_;
};

Task<void> run_drift_check(Core& core, ServiceRecord record) {
    DriftCheck check(core, std::move(record));
    co_await check.run();
}

}  // namespace

void start_drift_check(Core& core, ServiceRecord record, Executor executor) {
    asio::co_spawn(std::move(executor), run_drift_check(core, std::move(record)), asio::detached);
}

}  // namespace meshorch::engine
