#include "session.hpp"

#include <meshorch/backends.hpp>

#include "backends_setup.hpp"

#include <cstdio>

namespace meshorch::cli {

namespace {

// An orchestrator on the real backends FILE describes; nullptr (reported) when it cannot be made.
std::unique_ptr<Orchestrator> connect(const std::string& file) {
    auto config = read_backends_config(file);
    if (!config) return nullptr;
    OrchestratorOptions options;
    options.operation_deadline = std::chrono::minutes(30);
    config->apply_to(options);
    auto backends = make_backends(*config);
    if (!backends) {
        print_error(file, backends.error());
        return nullptr;
    }
    try {
        return std::make_unique<Orchestrator>(std::move(*backends), options);
    } catch (const std::exception& e) {  // a store that cannot be read: never taken as empty
        std::fprintf(stderr, "meshorch: %s: %s\n", file.c_str(), e.what());
        return nullptr;
    }
}

}  // namespace

std::unique_ptr<Session> Session::create(const Command& command, const ParsedArgs& args) {
    if (args.has("backends")) {
        if (!simulation_flags_absent(command, args)) return nullptr;
        auto self = std::make_unique<Session>();
        self->orchestrator_ = connect(args.get("backends"));
        if (!self->orchestrator_) return nullptr;
        self->progress_ =
            std::make_shared<ProgressView>(stdout_is_terminal() && !args.has("plain"));
        self->subscription_ = self->orchestrator_->subscribe(
            [progress = self->progress_](const Event& e) { progress->on_event(e); });
        return self;
    }

    auto simulation = simulation_from(command, args);
    if (!simulation) return nullptr;
    auto self = std::make_unique<Session>();
    self->world_ = std::move(simulation->world);
    self->orchestrator_ =
        std::make_unique<Orchestrator>(self->world_->backends(), simulation->options);

    self->progress_ = std::make_shared<ProgressView>(stdout_is_terminal() && !args.has("plain"));
    self->subscription_ = self->orchestrator_->subscribe(
        [progress = self->progress_](const Event& e) { progress->on_event(e); });
    return self;
}

bool Session::run(const std::string& title, const std::function<Result<Operation>()>& start) {
    std::printf("\n== %s\n", title.c_str());
    std::fflush(stdout);
    Result<Operation> started = start();
    if (!started) {
        progress_->finish();
        print_error("meshorch", started.error());
        return false;
    }
    started->wait();
    progress_->finish();
    const Status result = started->result();
    std::printf("-> %s %s: %s\n", to_string(started->kind()), started->service().c_str(),
                to_string(started->state()));
    if (!result) {
        std::printf("   %s\n", result.error().describe().c_str());
        return false;
    }
    return true;
}

void Session::print_status(const std::string& service) {
    auto status = orchestrator_->status(service);
    if (!status) {
        std::printf("service %s: none\n", service.c_str());
        return;
    }
    std::printf("service %s (namespace %s): %s, %zu mesh objects applied\n", status->name.c_str(),
                status->namespace_.c_str(), to_string(status->phase), status->applied_objects);
    if (!status->message.empty()) std::printf("  %s\n", status->message.c_str());
    for (const auto& w : status->workloads) {
        std::printf("  %-24s %-9s %-10s %s\n", w.id.to_string().c_str(), to_string(w.substrate),
                    to_string(w.state), w.address.c_str());
    }
}

void Session::print_objects(const std::string& service) {
    if (!world_) {
        auto status = orchestrator_->status(service);
        std::printf("  %zu objects applied by meshorch (kubectl get -n %s all,istio-io)\n",
                    status ? status->applied_objects : 0,
                    status ? status->namespace_.c_str() : service.c_str());
        return;
    }
    const sim::Snapshot snapshot = world_->snapshot();
    for (const auto& [key, object] : snapshot.objects) {
        const auto* metadata = object.manifest.if_contains("metadata");
        const auto* labels = metadata && metadata->is_object()
                                 ? metadata->get_object().if_contains("labels")
                                 : nullptr;
        const auto* owner = labels && labels->is_object()
                                ? labels->get_object().if_contains(label_service)
                                : nullptr;
        if (owner && owner->is_string() && owner->get_string() == service) {
            std::printf(
                "  %-20s %s\n", key.kind.c_str(),
                (key.namespace_.empty() ? key.name : key.namespace_ + "/" + key.name).c_str());
        }
    }
}

}  // namespace meshorch::cli
