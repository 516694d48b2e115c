// Operations: look one up, cancel it.
#include "api/api_error.hpp"
#include "api/json_encoding.hpp"
#include "api/json_response.hpp"
#include "api/routes.hpp"

#include <spdlog/spdlog.h>

namespace meshorch::api {

namespace {

ApiError unknown_operation(const std::string& id) {
    return api_error(404, "not_found", "operation \"" + id + "\" does not exist");
}

}  // namespace

void add_operation_routes(ApiRouter& router, Orchestrator& orchestrator,
                          std::shared_ptr<spdlog::logger> log) {
    Orchestrator* orch = &orchestrator;

    router.add("GET", "/v1/operations/{id}", [orch](const ApiRequest& r) {
        const std::string& id = r.params.at("id");
        auto op = orch->operation(id);
        if (!op) return reply(to_response(unknown_operation(id)));
        return reply(json_response(200, encode(*op)));
    });

    router.add("POST", "/v1/operations/{id}:cancel", [orch, log](const ApiRequest& r) {
        const std::string& id = r.params.at("id");
        auto op = orch->operation(id);
        if (!op) return reply(to_response(unknown_operation(id)));
        if (op->done()) {
            return reply(to_response(api_error(
                409, "conflict",
                "operation " + id + " has ended already (" + to_string(op->state()) + ")")));
        }
        op->cancel();
        log->info("[{} {}] cancel requested by {}", id, op->service(), r.http.peer);
        return reply(json_response(202, encode(*op), {{"Location", "/v1/operations/" + id}}));
    });
}

}  // namespace meshorch::api
