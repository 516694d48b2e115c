// meshorch version
#include "commands.hpp"

#include <iostream>

#ifndef MESHORCH_VERSION_STRING
#define MESHORCH_VERSION_STRING "0.1.0"
#endif

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const Command command{
    "version",
    "print the version of meshorch",
    "usage: meshorch version\n"
    "\n"
    "Prints the version of meshorch.\n",
    run,
};
[[maybe_unused]] const bool registered = add_command(command);

int run(const Args& args) {
    auto parsed = parse_args(command, args, {});
    if (!parsed) return exit_usage;
    if (!parsed->positional.empty()) return usage_error(command, "takes no arguments");
    return write_stdout("meshorch " MESHORCH_VERSION_STRING "\n") ? exit_ok : exit_invalid;
}

}  // namespace
