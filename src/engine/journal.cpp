// The operation journal (OperationJournal in the service's record): written before the steps
// that depend on it, closed with the operation's last write, and read back by an orchestrator
// that starts on the same store to finish what a previous process left in flight.
#include "engine/run.hpp"

#include <spdlog/spdlog.h>

namespace meshorch::engine {

Status Run::open_journal() {
    OperationJournal j;
    j.id = op_->id;
    j.kind = request_.kind;
    j.state = state_;
    j.started = std::chrono::system_clock::now();
    j.target = request_.spec;
    j.workload = request_.workload;
    record_.operation = std::move(j);
    return save();
}

void Run::close_journal() {
    record_.operation.reset();
}

Task<Status> Run::adopt_created_vnfs(Ctx ctx) {
    const std::set<std::string> names = creating_;
    for (const auto& name : names) {
        auto found = co_await find_vnf(name, ctx);
        if (!found.ok()) co_return found.error();
        if (*found && !record_.vnfs.count(name)) {
            record_.vnfs[name] = (*found)->id;
            touched_.insert(name);
            step("adopted VNF " + name + " (" + (*found)->id +
                 "): its creation was asked for before the last record");
        }
        creating_.erase(name);
    }
    if (names.empty()) co_return Ok{};
    co_return save();
}

bool Run::suspend_if_asked() {
    if (!core_.suspending() || finished_) return false;
    const bool journaled = record_.operation.has_value();
    const std::string message =
        journaled ? "suspended in " + std::string(to_string(state_)) +
                        ": the orchestrator stopped; the operation goes on when an orchestrator "
                        "starts on the same store"
                  : "the orchestrator stopped before the operation changed anything";
    core_.log->warn("{} {}", tag_, message);
    step(message);
    core_.update_service(request_.service, [&](ServiceEntry& e) { e.status.message = message; });
    finished_ = true;
    core_.finish(op_, OperationState::failed, make_error(Errc::cancelled, message));
    return true;
}

Plan Run::plan_objects(const std::vector<const Object*>& applied, ObjectSet&& desired) const {
    if (unverified_.empty()) return plan_subset(applied, std::move(desired));
    // An empty manifest differs from every desired one, so the plan writes the object again
    // (or removes it), in its usual order (same key, same place).
    std::vector<Object> blanks;
    blanks.reserve(applied.size());  // no reallocation: `doubted` points into it
    std::vector<const Object*> doubted = applied;
    for (const Object*& object : doubted) {
        if (!unverified_.count(object->key)) continue;
        Object& blank = blanks.emplace_back();
        blank.key = object->key;
        object = &blank;
    }
    return plan_subset(doubted, std::move(desired));
}

Task<void> Run::resume_flow() {
    auto loaded = load_record(request_.service);
    if (!loaded) co_return;
    if (!*loaded || !(*loaded)->operation || (*loaded)->operation->id != op_->id) {
        fail(make_error(Errc::internal, "the journal of operation " + op_->id +
                                            " is no longer in the store; nothing to resume"));
        co_return;
    }
    record_ = std::move(**loaded);
    const OperationJournal journal = *record_.operation;
    previous_ = record_.applied_spec;
    if (journal.target) {
        namespace_ = namespace_of(*journal.target);
    } else if (previous_) {
        namespace_ = namespace_of(*previous_);
    }
    touched_ = journal.touched_vnfs;
    creating_ = journal.creating_vnfs;
    lcm_in_flight_ = journal.lcm_operations;
    injecting_ = journal.injecting;
    for (const auto& [key, object] : record_.applied_objects) unverified_.insert(key);

    step("resuming " + std::string(to_string(journal.kind)) + " " + journal.id + " from " +
         to_string(journal.state) + (journal.rolling_back ? " (rolling back)" : "") +
         " after a restart");
    core_.log->info("{} resuming from {}{}", tag_, to_string(journal.state),
                    journal.rolling_back ? " (rolling back)" : "");

    if (journal.rolling_back) {
        co_await rollback(make_error(journal.error_code, journal.error_message));
        co_return;
    }
    switch (journal.kind) {
        case OperationKind::deploy:
        case OperationKind::reconfigure: {
            if (!request_.spec) {
                fail(make_error(Errc::internal, "the journal of " + journal.id +
                                                    " has no target spec; nothing to resume"));
                co_return;
            }
            const Ctx ctx{deadline_, op_->cancel.token()};
            if (Status s = co_await adopt_created_vnfs(ctx); !s.ok()) {
                co_await rollback(std::move(s).error());
                co_return;
            }
            co_await apply_target(*request_.spec);
            co_return;
        }
        case OperationKind::terminate: co_await tear_down(); co_return;
        case OperationKind::heal: co_await heal_flow(); co_return;
    }
}

}  // namespace meshorch::engine
