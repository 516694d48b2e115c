// meshorch: validate, render, plan and (on the simulated infrastructure) deploy services.
#include "commands.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

namespace {

using meshorch::cli::Command;

void print_overview(std::ostream& out) {
    out << "usage: meshorch <command> [arguments]\n"
           "\n"
           "Deploys services made of microservices on VMs and containers into one Istio mesh.\n"
           "\n"
           "commands:\n";
    std::size_t width = 0;
    for (const auto& c : meshorch::cli::commands()) width = std::max(width, c.name.size());
    for (const auto& c : meshorch::cli::commands()) {
        out << "  " << c.name << std::string(width - c.name.size() + 2, ' ') << c.summary << "\n";
    }
    out << "\nRun 'meshorch <command> --help' for a command's arguments.\n"
           "Exit status: 0 success, 1 invalid input, 2 usage error.\n";
}

// True when the arguments ask for help (before any "--").
bool asks_for_help(const meshorch::cli::Args& args) {
    for (const auto& a : args) {
        if (a == "--") return false;
        if (a == "-h" || a == "--help") return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    // The library logs every step at info; the tool shows progress itself, so by default only
    // warnings and errors reach stderr. MESHORCH_LOG_LEVEL=info (or debug) shows the rest.
    const char* level = std::getenv("MESHORCH_LOG_LEVEL");
    spdlog::set_level(spdlog::level::from_str(level ? level : "warn"));

    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        print_overview(std::cerr);
        return meshorch::cli::exit_usage;
    }
    std::string name = args.front();
    args.erase(args.begin());
    if (name == "-h" || name == "--help" || name == "help") {
        if (args.empty()) {
            print_overview(std::cout);
            return meshorch::cli::exit_ok;
        }
        name = args.front();
        const Command* command = meshorch::cli::find_command(name);
        if (!command) {
            std::cerr << "meshorch: unknown command \"" << name << "\"; run 'meshorch --help'\n";
            return meshorch::cli::exit_usage;
        }
        return meshorch::cli::print_help(*command);
    }
    if (name == "--version") name = "version";
    const Command* command = meshorch::cli::find_command(name);
    if (!command) {
        std::cerr << "meshorch: unknown command \"" << name << "\"; run 'meshorch --help'\n";
        return meshorch::cli::exit_usage;
    }
    if (asks_for_help(args)) return meshorch::cli::print_help(*command);
    try {
        return command->run(args);
    } catch (const std::exception& e) {
        std::cerr << "meshorch: internal error: " << e.what() << "\n";
        return meshorch::cli::exit_invalid;
    }
}
