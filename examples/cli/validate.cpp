// meshorch validate SPEC...
#include "commands.hpp"

#include <string>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const Command command{
    "validate",
    "check service specs and report every problem",
    "usage: meshorch validate SPEC...\n"
    "\n"
    "Parses and validates each service spec (YAML or JSON; '-' reads standard input) and\n"
    "reports every problem, one line each:\n"
    "  meshorch: FILE:LINE:COLUMN: PATH: REASON\n"
    "Exits 0 when every spec is valid, 1 otherwise.\n",
    run,
};
[[maybe_unused]] const bool registered = add_command(command);

int run(const Args& args) {
    auto parsed = parse_args(command, args, {});
    if (!parsed) return exit_usage;
    if (parsed->positional.empty()) return usage_error(command, "needs a SPEC");
    int stdin_uses = 0;
    for (const auto& p : parsed->positional) stdin_uses += p == "-" ? 1 : 0;
    if (stdin_uses > 1) return usage_error(command, "'-' (standard input) can be given once");

    int status = exit_ok;
    for (const auto& path : parsed->positional) {
        auto spec = load_spec_or_report(path);
        if (!spec) {
            status = exit_invalid;
            continue;
        }
        std::size_t versions = 0;
        for (const auto& m : spec->microservices) versions += m.versions.size();
        const std::string line = (path == "-" ? std::string("<stdin>") : path) + ": ok (service " +
                                 spec->name + ": " + std::to_string(spec->microservices.size()) +
                                 " microservices, " + std::to_string(versions) + " versions, " +
                                 std::to_string(spec->links.size()) + " links)\n";
        if (!write_stdout(line)) return exit_invalid;
    }
    return status;
}

}  // namespace
