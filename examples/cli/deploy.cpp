// meshorch deploy SPEC: deploy a service on the simulated infrastructure (or on real backends)
// and show it.
#include "session.hpp"

#include <meshorch/document.hpp>

#include <cstdio>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const std::string help =
    std::string(
        "usage: meshorch deploy SPEC [--terminate] [-o yaml] [--backends FILE | simulation "
        "options]\n"
        "\n"
        "Deploys the service on the embedded simulated infrastructure (VNF manager, Kubernetes\n"
        "cluster and VM sidecar injector), or with --backends on real ones, showing the\n"
        "progress of every workload, then prints the final status and the mesh objects.\n"
        "\n"
        "options:\n"
        "  --terminate       terminate the service afterwards and check that nothing is left\n"
        "  -o, --output yaml print the applied objects in full, as YAML (simulation only)\n") +
    std::string(backends_help) + std::string(simulation_help);

const Command command{"deploy", "deploy a service (simulated or real backends)", help, run};
[[maybe_unused]] const bool registered = add_command(command);

int run(const Args& args) {
    auto parsed = parse_args(command, args,
                             {{"terminate", 0, false},
                              {"output", 'o', true},
                              {"latency-ms", 0, true},
                              {"fault-rate", 0, true},
                              {"seed", 0, true},
                              {"plain", 0, false},
                              {"backends", 0, true}});
    if (!parsed) return exit_usage;
    if (parsed->help) return print_help(command);
    if (parsed->positional.size() != 1) return usage_error(command, "needs exactly one SPEC");
    if (parsed->has("output") && parsed->get("output") != "yaml") {
        return usage_error(command, "the only output format is yaml");
    }
    auto spec = load_spec_or_report(parsed->positional[0]);
    if (!spec) return exit_invalid;
    auto session = Session::create(command, *parsed);
    if (!session) return exit_usage;

    if (!session->run("deploy " + spec->name,
                      [&] { return session->orchestrator().deploy(*spec); }))
        return exit_invalid;
    std::printf("\n");
    session->print_status(spec->name);
    std::printf("\nobjects in the cluster:\n");
    if (parsed->has("output") && session->world()) {
        std::printf(
            "%s",
            meshorch::to_yaml_stream(session->world()->snapshot().objects.manifests()).c_str());
    } else {
        session->print_objects(spec->name);
    }

    if (parsed->has("terminate")) {
        if (!session->run("terminate " + spec->name,
                          [&] { return session->orchestrator().terminate(spec->name); })) {
            return exit_invalid;
        }
        if (session->world()) {
            const bool empty = session->world()->snapshot().empty();
            std::printf("simulated world after terminate: %s\n",
                        empty ? "empty" : "NOT empty (something leaked)");
            if (!empty) return exit_invalid;
        }
    }
    return exit_ok;
}

}  // namespace
