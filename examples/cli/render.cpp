// meshorch render SPEC [-o yaml|json] [--observed FILE]
#include "commands.hpp"

#include <meshorch/document.hpp>
#include <meshorch/render.hpp>

#include <boost/json.hpp>

namespace {

using namespace meshorch::cli;

int run(const Args& args);

const Command command{
    "render",
    "print the Kubernetes and Istio objects a spec renders to",
    "usage: meshorch render SPEC [-o yaml|json] [--observed FILE]\n"
    "\n"
    "Renders the desired state of a service spec ('-' reads standard input): Namespace,\n"
    "ServiceAccounts, Services, WorkloadGroups, WorkloadEntries, DestinationRules,\n"
    "VirtualServices, PeerAuthentication, AuthorizationPolicies and Sidecars, in apply order.\n"
    "\n"
    "options:\n"
    "  -o, --output yaml|json  yaml (default): a multi-document stream for 'kubectl apply -f -';\n"
    "                          json: one v1 List with the objects as items\n"
    "  --observed FILE         VM addresses as the VNF manager reports them, JSON or YAML:\n"
    "                            {\"reviews/v1\": [\"10.0.0.1\", \"10.0.0.2\"]}\n"
    "                          one WorkloadEntry is rendered per address; without it none\n"
    "                          (alias: --vm-addresses)\n",
    run,
};
[[maybe_unused]] const bool registered = add_command(command);

int run(const Args& args) {
    auto parsed = parse_args(
        command, args, {{"output", 'o', true}, {"observed", 0, true}, {"vm-addresses", 0, true}});
    if (!parsed) return exit_usage;
    if (parsed->positional.size() != 1) return usage_error(command, "needs exactly one SPEC");
    const std::string format = parsed->get("output", "yaml");
    if (format != "yaml" && format != "json") {
        return usage_error(command, "unknown output format \"" + format + "\" (yaml or json)");
    }
    if (parsed->has("observed") && parsed->has("vm-addresses")) {
        return usage_error(command, "--observed and --vm-addresses are the same option");
    }
    const std::string observed_path = parsed->get("observed", parsed->get("vm-addresses"));
    if (observed_path == "-" && parsed->positional[0] == "-") {
        return usage_error(command, "'-' (standard input) can be given once");
    }

    auto spec = load_spec_or_report(parsed->positional[0]);
    if (!spec) return exit_invalid;
    auto observed = load_observed_or_report(observed_path);
    if (!observed) return exit_invalid;

    const meshorch::ObjectSet objects = meshorch::render(*spec, *observed);
    std::string out;
    if (format == "yaml") {
        out = meshorch::to_yaml_stream(objects.manifests());
    } else {
        boost::json::array items;
        items.reserve(objects.size());
        for (const auto& [key, object] : objects) items.emplace_back(object.manifest);
        boost::json::object list;
        list["apiVersion"] = "v1";
        list["kind"] = "List";
        list["metadata"] = boost::json::object{};
        list["items"] = std::move(items);
        out = meshorch::to_pretty_json(list);
        if (!out.ends_with('\n')) out += '\n';
    }
    return write_stdout(out) ? exit_ok : exit_invalid;
}

}  // namespace
