// Deploy, reconfigure, terminate, heal and status of services.
#include "api/api_error.hpp"
#include "api/json_encoding.hpp"
#include "api/json_response.hpp"
#include "api/routes.hpp"
#include "api/spec_body.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

namespace meshorch::api {

namespace {

namespace json = boost::json;

http::ServerReply error_reply(const ApiError& e) {
    return reply(to_response(e));
}

// 202 Accepted, Location of the operation, the operation as the body.
http::ServerReply accepted(const Operation& op) {
    return reply(json_response(202, encode(op), {{"Location", "/v1/operations/" + op.id()}}));
}

ApiError unknown_service(const std::string& name) {
    return api_error(404, "not_found", "service \"" + name + "\" does not exist");
}

}  // namespace

void add_service_routes(ApiRouter& router, Orchestrator& orchestrator,
                        std::shared_ptr<spdlog::logger> log) {
    Orchestrator* orch = &orchestrator;

    router.add("GET", "/v1/services", [orch](const ApiRequest&) {
        json::array items;
        for (const auto& s : orch->services()) items.push_back(encode(s));
        return reply(json_response(200, json::object{{"services", std::move(items)}}));
    });

    router.add("GET", "/v1/services/{name}", [orch](const ApiRequest& r) {
        const std::string& name = r.params.at("name");
        auto status = orch->status(name);
        if (!status) return error_reply(unknown_service(name));
        return reply(json_response(200, encode(*status)));
    });

    router.add("POST", "/v1/services", [orch, log](const ApiRequest& r) {
        auto body = read_spec_body(r.http);
        if (auto* e = std::get_if<ApiError>(&body)) return error_reply(*e);
        const ServiceSpec& spec = std::get<ServiceSpec>(body);
        auto op = orch->deploy(spec);
        if (!op) {
            // deploy refuses a service that is deployed already with invalid_argument.
            if (op.error().code == Errc::invalid_argument) {
                return error_reply(api_error(409, "already_exists", op.error().message));
            }
            return error_reply(api_error(op.error()));
        }
        log->info("[{} {}] deploy accepted from {}", op->id(), spec.name, r.http.peer);
        return accepted(*op);
    });

    router.add("PUT", "/v1/services/{name}", [orch, log](const ApiRequest& r) {
        const std::string& name = r.params.at("name");
        auto body = read_spec_body(r.http);
        if (auto* e = std::get_if<ApiError>(&body)) return error_reply(*e);
        const ServiceSpec& spec = std::get<ServiceSpec>(body);
        if (spec.name != name) {
            ApiError e = api_error(400, to_string(Errc::invalid_spec),
                                   "the spec is for service \"" + spec.name + "\", not \"" + name +
                                       "\" as the path says");
            e.fields.push_back(
                {"metadata.name", "must be \"" + name + "\", the service in the path"});
            return error_reply(e);
        }
        auto op = orch->reconfigure(spec);
        if (!op) return error_reply(api_error(op.error()));
        log->info("[{} {}] reconfigure accepted from {}", op->id(), name, r.http.peer);
        return accepted(*op);
    });

    router.add("DELETE", "/v1/services/{name}", [orch, log](const ApiRequest& r) {
        const std::string& name = r.params.at("name");
        auto op = orch->terminate(name);
        if (!op) return error_reply(api_error(op.error()));
        log->info("[{} {}] terminate accepted from {}", op->id(), name, r.http.peer);
        return accepted(*op);
    });

    router.add(
        "POST", "/v1/services/{name}/workloads/{microservice}/{version}/{instance}:heal",
        [orch, log](const ApiRequest& r) {
            const std::string& name = r.params.at("name");
            WorkloadId id;
            id.microservice = r.params.at("microservice");
            id.version = r.params.at("version");
            const std::string& instance = r.params.at("instance");
            const auto [end, ec] =
                std::from_chars(instance.data(), instance.data() + instance.size(), id.instance);
            if (ec != std::errc() || end != instance.data() + instance.size() || id.instance < 0) {
                return error_reply(api_error(400, to_string(Errc::invalid_argument),
                                             "the workload instance must be a whole number >= 0, "
                                             "not \"" +
                                                 instance + "\""));
            }
            auto op = orch->heal(name, id);
            if (!op) return error_reply(api_error(op.error()));
            log->info("[{} {}] heal of {} accepted from {}", op->id(), name, id.to_string(),
                      r.http.peer);
            return accepted(*op);
        });
}

}  // namespace meshorch::api
