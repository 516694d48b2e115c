// The `meshorch` command line tool: a registry of subcommands and what they share.
//
// A subcommand is one .cpp file in this folder that registers itself:
//
//   namespace {
//   int run(const meshorch::cli::Args& args) { ... return meshorch::cli::exit_ok; }
//   [[maybe_unused]] const bool registered = meshorch::cli::add_command({
//       "deploy", "deploy a service", "usage: meshorch deploy SPEC\n...", run});
//   }
//
// main.cpp dispatches on the first argument; `meshorch --help` lists every registered command.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/render.hpp>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace meshorch::cli {

// Exit codes.
inline constexpr int exit_ok = 0;
inline constexpr int exit_invalid = 1;  // the input is wrong (bad spec, unreadable file, ...)
inline constexpr int exit_usage = 2;    // the command line is wrong

// The arguments after the subcommand's name.
using Args = std::vector<std::string>;

struct Command {
    std::string_view name;     // "validate"
    std::string_view summary;  // one line, lower case, for `meshorch --help`
    std::string_view help;     // full text for `meshorch <name> --help`, starting with "usage:"
    int (*run)(const Args& args) = nullptr;
};

// Registers a command (from a static initializer); returns true so it can initialize a constant.
bool add_command(Command command);
// Every registered command, by name.
std::vector<Command> commands();
const Command* find_command(std::string_view name);

// ---- command line parsing -------------------------------------------------------------------

struct OptionSpec {
    std::string_view name;  // long name without dashes: "output"
    char short_name = 0;    // 'o', or 0
    bool takes_value = false;
};

struct ParsedArgs {
    std::vector<std::string> positional;
    std::map<std::string, std::string, std::less<>> options;  // long name -> value ("" for flags)
    bool help = false;                                        // -h / --help seen

    bool has(std::string_view name) const { return options.find(name) != options.end(); }
    std::string get(std::string_view name, std::string fallback = {}) const;
};

// Parses `--name value`, `--name=value`, `-x value`, `-xvalue`, `--` and `-` (a positional,
// meaning stdin). -h/--help are always known. On a usage error prints it and returns nullopt.
std::optional<ParsedArgs> parse_args(const Command& command, const Args& args,
                                     std::initializer_list<OptionSpec> options);

// Prints "meshorch <command>: <message>" and the command's usage line to stderr; returns 2.
int usage_error(const Command& command, std::string_view message);
// Prints the command's help text to stdout; returns 0.
int print_help(const Command& command);

// ---- input and errors -----------------------------------------------------------------------

// Text of a file, or of stdin for "-". The name used in messages is the path or "<stdin>".
struct Input {
    std::string name;
    std::string text;
};
Result<Input> read_input(const std::string& path);

// Prints an error about `source` to stderr, one line per problem:
//   meshorch: <source>:<line>:<col>: <path>: <reason>
// (position and path left out when unknown).
void print_error(std::string_view source, const Error& error);

// Reads and validates a spec; prints what is wrong and returns nullopt on failure.
std::optional<ServiceSpec> load_spec_or_report(const std::string& path);

// Reads the observed VM addresses, a JSON or YAML mapping
//   {"reviews/v1": ["10.0.0.1", {"address": "10.0.0.2", "serverId": "..."}], ...}
// Prints what is wrong and returns nullopt on failure. An empty path gives no VMs.
std::optional<Observed> load_observed_or_report(const std::string& path);

// Writes text to stdout; false (after a message) when stdout fails, e.g. a closed pipe.
bool write_stdout(std::string_view text);

}  // namespace meshorch::cli
