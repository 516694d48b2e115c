// meshorch demo SPEC --migrate MS --from V --to V: the whole story on the simulated
// infrastructure: deploy, move a microservice's traffic from one version to another in steps,
// remove the old version, terminate, and check that nothing is left.
#include "migration.hpp"
#include "session.hpp"

#include <cstdio>
#include <sstream>
#include <vector>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const std::string help =
    std::string(
        "usage: meshorch demo SPEC --migrate MS --from V1 --to V2 [--steps 100,50,0]\n"
        "                     [simulation options]\n"
        "\n"
        "Deploys SPEC on the simulated infrastructure, shifts the traffic of microservice MS from\n"
        "version V1 to V2 by reconfigures (V1 keeps the --steps percentages of what the two\n"
        "shared), removes V1, terminates the service and checks the world is empty. A VM-to-\n"
        "container migration is V1 on a VM and V2 in a container.\n") +
    std::string(simulation_help);

const Command command{"demo", "deploy, migrate a microservice between versions, terminate", help,
                      run};
[[maybe_unused]] const bool registered = add_command(command);

std::vector<int> parse_steps(const std::string& text) {
    std::vector<int> steps;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            std::size_t used = 0;
            const int value = std::stoi(item, &used);
            if (used != item.size() || value < 0 || value > 100) return {};
            steps.push_back(value);
        } catch (const std::exception&) {
            return {};
        }
    }
    return steps;
}

int run(const Args& args) {
    auto parsed = parse_args(command, args,
                             {{"migrate", 0, true},
                              {"from", 0, true},
                              {"to", 0, true},
                              {"steps", 0, true},
                              {"latency-ms", 0, true},
                              {"fault-rate", 0, true},
                              {"seed", 0, true},
                              {"plain", 0, false}});
    if (!parsed) return exit_usage;
    if (parsed->help) return print_help(command);
    if (parsed->positional.size() != 1) return usage_error(command, "needs exactly one SPEC");
    if (!parsed->has("migrate") || !parsed->has("from") || !parsed->has("to")) {
        return usage_error(command, "needs --migrate, --from and --to");
    }
    const std::string ms = parsed->get("migrate");
    const std::string from = parsed->get("from");
    const std::string to = parsed->get("to");
    const std::vector<int> steps = parse_steps(parsed->get("steps", "100,50,0"));
    if (steps.empty()) return usage_error(command, "--steps takes percentages like 100,50,0");

    auto spec = load_spec_or_report(parsed->positional[0]);
    if (!spec) return exit_invalid;
    auto sim = Session::create(command, *parsed);
    if (!sim) return exit_usage;
    auto& orch = sim->orchestrator();

    if (!sim->run("deploy " + spec->name, [&] { return orch.deploy(*spec); })) return exit_invalid;
    sim->print_status(spec->name);

    meshorch::ServiceSpec current = *spec;
    for (int percent : steps) {
        auto next = shift_weight(current, ms, from, to, percent);
        if (!next) {
            print_error("meshorch demo", next.error());
            return exit_invalid;
        }
        const std::string title = "reconfigure: " + ms + " " + from + " " +
                                  std::to_string(percent) + "% / " + to + " " +
                                  std::to_string(100 - percent) + "%";
        if (!sim->run(title, [&] { return orch.reconfigure(*next); })) return exit_invalid;
        current = std::move(*next);
    }
    auto without = remove_version(current, ms, from);
    if (!without) {
        print_error("meshorch demo", without.error());
        return exit_invalid;
    }
    if (!sim->run("reconfigure: remove " + ms + " " + from,
                  [&] { return orch.reconfigure(*without); })) {
        return exit_invalid;
    }
    sim->print_status(spec->name);
    std::printf("\nobjects in the cluster:\n");
    sim->print_objects(spec->name);

    if (!sim->run("terminate " + spec->name, [&] { return orch.terminate(spec->name); }))
        return exit_invalid;
    const bool empty = sim->world()->snapshot().empty();
    std::printf("\nsimulated world after terminate: %s\n",
                empty ? "empty" : "NOT empty (something leaked)");
    return empty ? exit_ok : exit_invalid;
}

}  // namespace
