#include "session.hpp"

#include <meshorch/backends.hpp>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace meshorch::cli {

namespace {

template <class T>
bool parse_number(const std::string& text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

// An orchestrator on the real backends FILE describes; nullptr (reported) when it cannot be made.
std::unique_ptr<Orchestrator> connect(const std::string& file) {
    std::ifstream in(file);
    if (!in) {
        std::fprintf(stderr, "meshorch: %s: cannot read the backend configuration\n", file.c_str());
        return nullptr;
    }
    std::stringstream text;
    text << in.rdbuf();
    const std::string base_dir = std::filesystem::path(file).parent_path().string();
    auto config = parse_backends_config(text.str(), base_dir);
    if (!config) {
        print_error(file, config.error());
        return nullptr;
    }
    OrchestratorOptions options;
    options.operation_deadline = std::chrono::minutes(30);
    config->apply_to(options);
    auto backends = make_backends(*config);
    if (!backends) {
        print_error(file, backends.error());
        return nullptr;
    }
    return std::make_unique<Orchestrator>(std::move(*backends), options);
}

}  // namespace

std::unique_ptr<Session> Session::create(const Command& command, const ParsedArgs& args) {
    if (args.has("backends")) {
        for (const char* sim_only : {"latency-ms", "fault-rate", "seed"}) {
            if (args.has(sim_only)) {
                usage_error(command, std::string("--") + sim_only +
                                         " is a simulation option; it does not go with --backends");
                return nullptr;
            }
        }
        auto self = std::make_unique<Session>();
        self->orchestrator_ = connect(args.get("backends"));
        if (!self->orchestrator_) return nullptr;
        self->progress_ =
            std::make_shared<ProgressView>(stdout_is_terminal() && !args.has("plain"));
        self->subscription_ = self->orchestrator_->subscribe(
            [progress = self->progress_](const Event& e) { progress->on_event(e); });
        return self;
    }

    long latency_ms = 20;
    double fault_rate = 0.0;
    std::uint64_t seed = 1;
    if (args.has("latency-ms") &&
        (!parse_number(args.get("latency-ms"), latency_ms) || latency_ms < 0)) {
        usage_error(command, "--latency-ms needs a whole number of milliseconds >= 0");
        return nullptr;
    }
    if (args.has("fault-rate") && (!parse_number(args.get("fault-rate"), fault_rate) ||
                                   fault_rate < 0.0 || fault_rate > 1.0)) {
        usage_error(command, "--fault-rate needs a probability between 0 and 1");
        return nullptr;
    }
    if (args.has("seed") && !parse_number(args.get("seed"), seed)) {
        usage_error(command, "--seed needs a whole number");
        return nullptr;
    }

    auto self = std::make_unique<Session>();
    sim::Options options;
    options.seed = seed;
    options.default_latency = {std::chrono::milliseconds(latency_ms),
                               std::chrono::milliseconds(latency_ms / 2)};
    options.lcm_duration = std::chrono::milliseconds(latency_ms * 15);
    options.pod_start_time = std::chrono::milliseconds(latency_ms * 5);
    options.fault_probability = fault_rate;
    self->world_ = sim::World::create(options);

    OrchestratorOptions orch;
    orch.poll_interval = std::chrono::milliseconds(std::max<long>(latency_ms, 10));
    orch.backoff.initial = std::chrono::milliseconds(std::max<long>(latency_ms, 10));
    orch.backoff.max = std::chrono::milliseconds(std::max<long>(latency_ms * 20, 200));
    orch.operation_deadline = std::chrono::minutes(5);
    self->orchestrator_ = std::make_unique<Orchestrator>(self->world_->backends(), orch);

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
