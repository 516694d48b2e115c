// Internal: the routes of the REST API, registered by area (services, operations, events).
#pragma once

#include "api/event_streams.hpp"
#include "api/router.hpp"
#include "http/server.hpp"

#include <meshorch/orchestrator.hpp>

#include <spdlog/logger.h>

#include <functional>
#include <memory>

namespace meshorch::api {

struct ApiRequest {
    const http::ServerRequest& http;
    Params params;  // from the path pattern
    Params query;
};

using RouteHandler = std::function<http::ServerReply(const ApiRequest&)>;
using ApiRouter = Router<RouteHandler>;

// /v1/services, /v1/services/{name}, .../workloads/{microservice}/{version}/{instance}:heal
void add_service_routes(ApiRouter& router, Orchestrator& orchestrator,
                        std::shared_ptr<spdlog::logger> log);
// /v1/operations/{id}, /v1/operations/{id}:cancel
void add_operation_routes(ApiRouter& router, Orchestrator& orchestrator,
                          std::shared_ptr<spdlog::logger> log);
// /v1/events, /v1/services/{name}/events
void add_event_routes(ApiRouter& router, Orchestrator& orchestrator, EventStreams& streams);

// A plain (not streaming) reply.
inline http::ServerReply reply(http::Response response) {
    return http::ServerReply{std::move(response), {}};
}

}  // namespace meshorch::api
