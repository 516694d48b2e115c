#include "backends_setup.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace meshorch::cli {

namespace {

template <class T>
bool parse_number(const std::string& text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

}  // namespace

std::optional<Simulation> simulation_from(const Command& command, const ParsedArgs& args) {
    long latency_ms = 20;
    double fault_rate = 0.0;
    std::uint64_t seed = 1;
    if (args.has("latency-ms") &&
        (!parse_number(args.get("latency-ms"), latency_ms) || latency_ms < 0)) {
        usage_error(command, "--latency-ms needs a whole number of milliseconds >= 0");
        return std::nullopt;
    }
    if (args.has("fault-rate") && (!parse_number(args.get("fault-rate"), fault_rate) ||
                                   fault_rate < 0.0 || fault_rate > 1.0)) {
        usage_error(command, "--fault-rate needs a probability between 0 and 1");
        return std::nullopt;
    }
    if (args.has("seed") && !parse_number(args.get("seed"), seed)) {
        usage_error(command, "--seed needs a whole number");
        return std::nullopt;
    }
    sim::Options world;
    world.seed = seed;
    world.default_latency = {std::chrono::milliseconds(latency_ms),
                             std::chrono::milliseconds(latency_ms / 2)};
    world.lcm_duration = std::chrono::milliseconds(latency_ms * 15);
    world.pod_start_time = std::chrono::milliseconds(latency_ms * 5);
    world.fault_probability = fault_rate;

    Simulation out;
    out.world = sim::World::create(world);
    out.options.poll_interval = std::chrono::milliseconds(std::max<long>(latency_ms, 10));
    out.options.backoff.initial = std::chrono::milliseconds(std::max<long>(latency_ms, 10));
    out.options.backoff.max = std::chrono::milliseconds(std::max<long>(latency_ms * 20, 200));
    out.options.operation_deadline = std::chrono::minutes(5);
    return out;
}

bool simulation_flags_absent(const Command& command, const ParsedArgs& args) {
    for (const char* sim_only : {"latency-ms", "fault-rate", "seed"}) {
        if (args.has(sim_only)) {
            usage_error(command, std::string("--") + sim_only +
                                     " is a simulation option; it does not go with --backends");
            return false;
        }
    }
    return true;
}

std::optional<BackendsConfig> read_backends_config(const std::string& file) {
    std::ifstream in(file);
    if (!in) {
        std::fprintf(stderr, "meshorch: %s: cannot read the backend configuration\n", file.c_str());
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto config =
        parse_backends_config(text.str(), std::filesystem::path(file).parent_path().string());
    if (!config) {
        print_error(file, config.error());
        return std::nullopt;
    }
    return std::move(*config);
}

}  // namespace meshorch::cli
