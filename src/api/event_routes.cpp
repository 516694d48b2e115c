// Server-Sent Events: every event, or one service's.
#include "api/api_error.hpp"
#include "api/routes.hpp"

namespace meshorch::api {

namespace {

http::ServerReply open_stream(EventStreams& streams, std::string service) {
    http::ServerReply r;
    r.response.status = 200;
    r.response.headers = {{"Content-Type", "text/event-stream"},
                          {"Cache-Control", "no-store"},
                          {"X-Accel-Buffering", "no"}};  // proxies: pass each event at once
    r.open_stream = [&streams,
                     service = std::move(service)](std::shared_ptr<http::ResponseStream> stream) {
        streams.add(std::move(stream), service);
    };
    return r;
}

}  // namespace

void add_event_routes(ApiRouter& router, Orchestrator& orchestrator, EventStreams& streams) {
    Orchestrator* orch = &orchestrator;
    EventStreams* all = &streams;

    router.add("GET", "/v1/events", [all](const ApiRequest& r) {
        auto service = r.query.find("service");
        return open_stream(*all, service == r.query.end() ? std::string() : service->second);
    });

    router.add("GET", "/v1/services/{name}/events", [orch, all](const ApiRequest& r) {
        const std::string& name = r.params.at("name");
        if (!orch->status(name)) {
            return reply(to_response(
                api_error(404, "not_found",
                          "service \"" + name +
                              "\" does not exist (GET /v1/events?service=NAME follows a "
                              "service that is not deployed yet)")));
        }
        return open_stream(*all, name);
    });
}

}  // namespace meshorch::api
