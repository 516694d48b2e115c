// meshorch plan OLD NEW [-o text|yaml|json] [--observed FILE]
#include "commands.hpp"

#include <meshorch/document.hpp>
#include <meshorch/plan.hpp>
#include <meshorch/render.hpp>

#include <boost/json.hpp>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const Command command{
    "plan",
    "show the writes that take a service from one spec to another",
    "usage: meshorch plan OLD NEW [-o text|yaml|json] [--observed FILE]\n"
    "\n"
    "Renders both specs ('-' reads one of them from standard input) and prints the ordered\n"
    "creates, patches and deletes that turn the objects of OLD into those of NEW, make before\n"
    "break: subsets exist before routes use them, routes move before subsets go.\n"
    "\n"
    "options:\n"
    "  -o, --output text|yaml|json  text (default): one line per action,\n"
    "                                 create VirtualService bookinfo/reviews  (new)\n"
    "                               yaml/json: {actions: [{action, apiVersion, kind, namespace,\n"
    "                               name, reason, object}]}\n"
    "  --observed FILE              VM addresses for both specs, as for 'meshorch render'\n"
    "                               (alias: --vm-addresses)\n",
    run,
};
[[maybe_unused]] const bool registered = add_command(command);

boost::json::object to_json(const meshorch::Action& a) {
    boost::json::object o;
    o["action"] = meshorch::to_string(a.kind);
    o["apiVersion"] = a.object.key.api_version;
    o["kind"] = a.object.key.kind;
    if (!a.object.key.namespace_.empty()) o["namespace"] = a.object.key.namespace_;
    o["name"] = a.object.key.name;
    o["reason"] = a.reason;
    o["object"] = a.object.manifest;
    return o;
}

int run(const Args& args) {
    auto parsed = parse_args(
        command, args, {{"output", 'o', true}, {"observed", 0, true}, {"vm-addresses", 0, true}});
    if (!parsed) return exit_usage;
    if (parsed->positional.size() != 2) return usage_error(command, "needs OLD and NEW");
    const std::string format = parsed->get("output", "text");
    if (format != "text" && format != "yaml" && format != "json") {
        return usage_error(command,
                           "unknown output format \"" + format + "\" (text, yaml or json)");
    }
    if (parsed->has("observed") && parsed->has("vm-addresses")) {
        return usage_error(command, "--observed and --vm-addresses are the same option");
    }
    const std::string observed_path = parsed->get("observed", parsed->get("vm-addresses"));
    int stdin_uses = observed_path == "-" ? 1 : 0;
    for (const auto& p : parsed->positional) stdin_uses += p == "-" ? 1 : 0;
    if (stdin_uses > 1) return usage_error(command, "'-' (standard input) can be given once");

    auto old_spec = load_spec_or_report(parsed->positional[0]);
    auto new_spec = load_spec_or_report(parsed->positional[1]);
    if (!old_spec || !new_spec) return exit_invalid;
    auto observed = load_observed_or_report(observed_path);
    if (!observed) return exit_invalid;

    const meshorch::Plan p = meshorch::plan(meshorch::render(*old_spec, *observed),
                                            meshorch::render(*new_spec, *observed));
    std::string out;
    if (format == "text") {
        if (p.empty()) out = "no changes\n";
        for (const auto& a : p.actions) {
            out += meshorch::to_string(a.kind);
            out += ' ';
            out += a.object.key.to_string();
            out += "  (" + a.reason + ")\n";
        }
    } else {
        boost::json::array actions;
        actions.reserve(p.actions.size());
        for (const auto& a : p.actions) actions.emplace_back(to_json(a));
        boost::json::object doc;
        doc["actions"] = std::move(actions);
        out = format == "yaml" ? meshorch::to_yaml(doc) : meshorch::to_pretty_json(doc);
        if (!out.ends_with('\n')) out += '\n';
    }
    return write_stdout(out) ? exit_ok : exit_invalid;
}

}  // namespace
