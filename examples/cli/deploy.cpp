// meshorch deploy SPEC: deploy a service on the simulated infrastructure and show it.
#include "simulation.hpp"

#include <meshorch/document.hpp>

#include <cstdio>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const std::string help =
    std::string(
        "usage: meshorch deploy SPEC [--terminate] [-o yaml] [simulation options]\n"
        "\n"
        "Deploys the service on the embedded simulated infrastructure (VNF manager, Kubernetes\n"
        "cluster and VM sidecar injector), showing the progress of every workload, then prints\n"
        "the final status and the mesh objects.\n"
        "\n"
        "options:\n"
        "  --terminate       terminate the service afterwards and check that nothing is left\n"
        "  -o, --output yaml print the applied objects in full, as YAML\n") +
    std::string(simulation_help);

const Command command{"deploy", "deploy a service on the simulated infrastructure", help, run};
[[maybe_unused]] const bool registered = add_command(command);

int run(const Args& args) {
    auto parsed = parse_args(command, args,
                             {{"terminate", 0, false},
                              {"output", 'o', true},
                              {"latency-ms", 0, true},
                              {"fault-rate", 0, true},
                              {"seed", 0, true},
                              {"plain", 0, false}});
    if (!parsed) return exit_usage;
    if (parsed->help) return print_help(command);
    if (parsed->positional.size() != 1) return usage_error(command, "needs exactly one SPEC");
    if (parsed->has("output") && parsed->get("output") != "yaml") {
        return usage_error(command, "the only output format is yaml");
    }
    auto spec = load_spec_or_report(parsed->positional[0]);
    if (!spec) return exit_invalid;
    auto sim = Simulation::create(command, *parsed);
    if (!sim) return exit_usage;

    if (!sim->run("deploy " + spec->name, sim->orchestrator().deploy(*spec))) return exit_invalid;
    std::printf("\n");
    sim->print_status(spec->name);
    std::printf("\nobjects in the cluster:\n");
    if (parsed->has("output")) {
        std::printf("%s",
                    meshorch::to_yaml_stream(sim->world().snapshot().objects.manifests()).c_str());
    } else {
        sim->print_objects(spec->name);
    }

    if (parsed->has("terminate")) {
        if (!sim->run("terminate " + spec->name, sim->orchestrator().terminate(spec->name))) {
            return exit_invalid;
        }
        const bool empty = sim->world().snapshot().empty();
        std::printf("simulated world after terminate: %s\n",
                    empty ? "empty" : "NOT empty (something leaked)");
        if (!empty) return exit_invalid;
    }
    return exit_ok;
}

}  // namespace
