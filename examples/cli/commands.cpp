#include "commands.hpp"

#include <meshorch/document.hpp>
#include <meshorch/spec.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace meshorch::cli {

namespace {

std::vector<Command>& registry() {
    static std::vector<Command> commands;
    return commands;
}

std::string position(int line, int column) {
    if (line <= 0) return {};
    return ":" + std::to_string(line) + ":" + std::to_string(column);
}

// The path of a top-level key as the document parser writes it: `key`, or `["key"]` when the
// key is not a plain identifier (as "reviews/v1" is not).
std::string key_path(std::string_view key) {
    const auto plain = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    };
    const bool is_plain = !key.empty() && !(key[0] >= '0' && key[0] <= '9') && key[0] != '-' &&
                          std::all_of(key.begin(), key.end(), plain);
    if (is_plain) return std::string(key);
    std::string out = "[\"";
    for (char c : key) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"]";
}

std::string_view usage_line(const Command& command) {
    std::string_view help = command.help;
    return help.substr(0, help.find('\n'));
}

}  // namespace

bool add_command(Command command) {
    auto& all = registry();
    auto at = std::lower_bound(all.begin(), all.end(), command,
                               [](const Command& a, const Command& b) { return a.name < b.name; });
    all.insert(at, command);
    return true;
}

std::vector<Command> commands() {
    return registry();
}

const Command* find_command(std::string_view name) {
    for (const auto& c : registry()) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

std::string ParsedArgs::get(std::string_view name, std::string fallback) const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
}

std::optional<ParsedArgs> parse_args(const Command& command, const Args& args,
                                     std::initializer_list<OptionSpec> options) {
    ParsedArgs out;
    auto find_long = [&](std::string_view name) -> const OptionSpec* {
        for (const auto& o : options) {
            if (o.name == name) return &o;
        }
        return nullptr;
    };
    auto find_short = [&](char c) -> const OptionSpec* {
        for (const auto& o : options) {
            if (o.short_name != 0 && o.short_name == c) return &o;
        }
        return nullptr;
    };
    bool only_positional = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (only_positional || arg == "-" || arg.size() < 2 || arg[0] != '-') {
            out.positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            only_positional = true;
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            out.help = true;
            continue;
        }
        const OptionSpec* spec = nullptr;
        std::string shown;
        std::optional<std::string> value;
        if (arg.starts_with("--")) {
            std::string_view body = std::string_view(arg).substr(2);
            if (auto eq = body.find('='); eq != std::string_view::npos) {
                value = std::string(body.substr(eq + 1));
                body = body.substr(0, eq);
            }
            spec = find_long(body);
            shown = "--" + std::string(body);
        } else {
            spec = find_short(arg[1]);
            shown = arg.substr(0, 2);
            if (arg.size() > 2) value = arg.substr(2);
        }
        if (!spec) {
            usage_error(command, "unknown option " + shown);
            return std::nullopt;
        }
        if (spec->takes_value && !value) {
            if (i + 1 >= args.size()) {
                usage_error(command, "option " + shown + " needs a value");
                return std::nullopt;
            }
            value = args[++i];
        }
        if (!spec->takes_value && value) {
            usage_error(command, "option " + shown + " takes no value");
            return std::nullopt;
        }
        out.options[std::string(spec->name)] = value.value_or(std::string{});
    }
    return out;
}

int usage_error(const Command& command, std::string_view message) {
    std::cerr << "meshorch " << command.name << ": " << message << "\n"
              << usage_line(command) << "\n"
              << "Run 'meshorch " << command.name << " --help' for more.\n";
    return exit_usage;
}

int print_help(const Command& command) {
    std::cout << command.help;
    if (!command.help.ends_with('\n')) std::cout << '\n';
    return exit_ok;
}

Result<Input> read_input(const std::string& path) {
    Input in;
    if (path == "-") {
        in.name = "<stdin>";
        std::ostringstream buffer;
        buffer << std::cin.rdbuf();
        if (std::cin.bad()) return make_error(Errc::io, "cannot read standard input");
        in.text = std::move(buffer).str();
        return in;
    }
    in.name = path;
    std::ifstream file(path, std::ios::binary);
    if (!file) return make_error(Errc::io, std::string("cannot open: ") + std::strerror(errno));
    in.text.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
    if (file.bad())
        return make_error(Errc::io, std::string("cannot read: ") + std::strerror(errno));
    return in;
}

void print_error(std::string_view source, const Error& error) {
    if (!error.fields.empty()) {
        for (const auto& f : error.fields) {
            std::cerr << "meshorch: " << source << position(f.line, f.column) << ": ";
            if (!f.path.empty()) std::cerr << f.path << ": ";
            std::cerr << f.reason << "\n";
        }
        return;
    }
    std::cerr << "meshorch: " << source << position(error.line, error.column) << ": "
              << error.message;
    if (error.http_status != 0) std::cerr << " [HTTP " << error.http_status << "]";
    std::cerr << "\n";
}

std::optional<ServiceSpec> load_spec_or_report(const std::string& path) {
    auto input = read_input(path);
    if (!input) {
        print_error(path == "-" ? "<stdin>" : path, input.error());
        return std::nullopt;
    }
    auto spec = load_spec(input->text);
    if (!spec) {
        print_error(input->name, spec.error());
        return std::nullopt;
    }
    return std::move(spec).value();
}

std::optional<Observed> load_observed_or_report(const std::string& path) {
    Observed observed;
    if (path.empty()) return observed;
    auto input = read_input(path);
    if (!input) {
        print_error(path == "-" ? "<stdin>" : path, input.error());
        return std::nullopt;
    }
    auto doc = parse_document(input->text);
    if (!doc) {
        print_error(input->name, doc.error());
        return std::nullopt;
    }
    Error problems = make_error(Errc::invalid_argument, "invalid observed addresses");
    auto problem = [&](std::string where, std::string reason) {
        FieldError f;
        f.path = std::move(where);
        f.reason = std::move(reason);
        if (auto it = doc->positions.find(f.path); it != doc->positions.end()) {
            f.line = it->second.first;
            f.column = it->second.second;
        }
        problems.fields.push_back(std::move(f));
    };
    const auto& root = doc->value;
    if (!root.is_object()) {
        problem("", "expected a mapping of \"microservice/version\" to a list of VM addresses");
    } else {
        for (const auto& [key, value] : root.get_object()) {
            const std::string name(key);
            const auto slash = name.find('/');
            if (slash == std::string::npos || slash == 0 || slash + 1 == name.size()) {
                problem(key_path(name), "expected a key of the form \"microservice/version\"");
                continue;
            }
            if (!value.is_array()) {
                problem(key_path(name), "expected a list of VM addresses");
                continue;
            }
            auto& vms = observed.vms[{name.substr(0, slash), name.substr(slash + 1)}];
            const auto& list = value.get_array();
            for (std::size_t i = 0; i < list.size(); ++i) {
                const std::string where = key_path(name) + "[" + std::to_string(i) + "]";
                VmInstance vm;
                if (list[i].is_string()) {
                    vm.address = std::string(list[i].get_string());
                } else if (list[i].is_object()) {
                    const auto& o = list[i].get_object();
                    if (const auto* a = o.if_contains("address"); a && a->is_string()) {
                        vm.address = std::string(a->get_string());
                    }
                    for (const char* id : {"serverId", "server_id"}) {
                        if (const auto* s = o.if_contains(id); s && s->is_string()) {
                            vm.server_id = std::string(s->get_string());
                        }
                    }
                }
                if (vm.address.empty()) {
                    problem(where, "expected an address, or {address: ..., serverId: ...}");
                    continue;
                }
                if (vm.server_id.empty()) vm.server_id = name + "#" + std::to_string(i);
                vms.push_back(std::move(vm));
            }
        }
    }
    if (!problems.fields.empty()) {
        print_error(input->name, problems);
        return std::nullopt;
    }
    return observed;
}

bool write_stdout(std::string_view text) {
    std::cout << text;
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "meshorch: cannot write to standard output\n";
        return false;
    }
    return true;
}

}  // namespace meshorch::cli
