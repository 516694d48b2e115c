#include <meshorch/api_server.hpp>

#include "api/api_error.hpp"
#include "api/authenticator.hpp"
#include "api/event_streams.hpp"
#include "api/json_response.hpp"
#include "api/routes.hpp"
#include "http/log.hpp"
#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

namespace meshorch {

using api::api_error;
using api::ApiError;

struct ApiServer::Impl {
    Impl(Orchestrator& o, ApiServerOptions opts)
        : orchestrator(o),
          options(std::move(opts)),
          log(http::detail::named_logger("api")),
          auth(options.tokens, options.tokens.empty() && options.allow_unauthenticated) {}

    http::ServerReply handle(const http::ServerRequest& request) const;

    Orchestrator& orchestrator;
    ApiServerOptions options;
    std::shared_ptr<spdlog::logger> log;
    api::Authenticator auth;
    api::ApiRouter router;
    std::unique_ptr<api::EventStreams> streams;
    std::unique_ptr<http::Server> server;  // after streams: destroyed first, it calls them
    std::mutex stop_mutex;
    bool stopped = false;
};

http::ServerReply ApiServer::Impl::handle(const http::ServerRequest& request) const {
    const std::string_view target = request.target;
    const auto question = target.find('?');
    const std::string_view path = target.substr(0, question);
    const std::string_view query =
        question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    const auto fail = [](ApiError e) { return api::reply(api::to_response(e)); };

    if (path == "/healthz") {  // for probes and load balancers: no token
        if (request.method != "GET" && request.method != "HEAD") {
            ApiError e = api_error(405, "method_not_allowed", "/healthz allows GET only");
            e.headers.push_back({"Allow", "GET, HEAD"});
            return fail(std::move(e));
        }
        return api::reply(api::json_response(200, boost::json::object{{"status", "serving"}}));
    }

    const auto authorization = request.header("Authorization");
    const auto role = auth.authenticate(authorization);
    if (!role) {
        ApiError e = api_error(401, "unauthorized",
                               authorization ? "the bearer token is not valid"
                                             : "a bearer token is required (Authorization: "
                                               "Bearer TOKEN)");
        e.headers.push_back({"WWW-Authenticate", authorization ? "Bearer realm=\"meshorch\", "
                                                                 "error=\"invalid_token\""
                                                               : "Bearer realm=\"meshorch\""});
        log->debug("{} {} from {}: 401", request.method, path, request.peer);
        return fail(std::move(e));
    }

    auto match = router.route(request.method, path);
    if (!match.handler) {
        if (match.allowed.empty()) {
            return fail(api_error(404, "not_found", "no such resource: " + std::string(path)));
        }
        std::string allow;
        for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        ApiError e = api_error(405, "method_not_allowed",
                               std::string(path) + " allows " + allow + ", not " + request.method);
        e.headers.push_back({"Allow", allow});
        return fail(std::move(e));
    }
    if (!api::Authenticator::allows(*role, request.method)) {
        return fail(
            api_error(403, "forbidden", "this token has the reader role: it may only read (GET)"));
    }
    return (*match.handler)(
        api::ApiRequest{request, std::move(match.params), api::parse_query(query)});
}

Result<std::unique_ptr<ApiServer>> ApiServer::start(Orchestrator& orchestrator,
                                                    ApiServerOptions options) {
    if (options.tokens.empty() && !options.allow_unauthenticated) {
        return make_error(Errc::invalid_argument,
                          "the API server needs bearer tokens (a token file); running without "
                          "authentication must be asked for explicitly");
    }
    for (const auto& t : options.tokens) {
        if (t.token.empty()) return make_error(Errc::invalid_argument, "an API token is empty");
    }
    if (options.keep_alive_interval.count() <= 0) {
        return make_error(Errc::invalid_argument, "the keep-alive interval must be positive");
    }
    auto impl = std::make_unique<Impl>(orchestrator, std::move(options));
    Impl& self = *impl;
    if (self.options.tokens.empty()) {
        self.log->warn(
            "the REST API has NO AUTHENTICATION: anyone who reaches {}:{} may deploy and "
            "terminate services",
            self.options.address, self.options.port);
    }
    api::add_service_routes(self.router, orchestrator, self.log);
    api::add_operation_routes(self.router, orchestrator, self.log);
    self.streams =
        std::make_unique<api::EventStreams>(orchestrator, self.options.keep_alive_interval);
    api::add_event_routes(self.router, orchestrator, *self.streams);

    http::ServerOptions server;
    server.address = self.options.address;
    server.port = self.options.port;
    if (self.options.tls) {
        server.tls =
            http::ServerTlsOptions{self.options.tls->certificate_file, self.options.tls->key_file,
                                   self.options.tls->client_ca_file};
    }
    server.max_body_bytes = self.options.max_body_bytes;
    server.read_timeout = self.options.read_timeout;
    server.threads = self.options.threads;
    server.logger = "api";
    server.error_response = [](int status, const std::string& message) {
        return api::to_response(api_error(status, api::code_of_status(status), message));
    };
    auto started = http::Server::start(
        std::move(server),
        http::ReplyHandler([&self](const http::ServerRequest& r) { return self.handle(r); }));
    if (!started) return std::move(started).error();
    self.server = std::move(*started);
    self.log->info("REST API listening on {}", self.server->url());
    return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() {
    stop();
}

std::string ApiServer::url() const {
    return impl_->server->url();
}

void ApiServer::stop() {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    // Streams first: each gets its last chunk, so the server's stop does not wait on them.
    impl_->streams->close_all();
    impl_->server->stop();
    impl_->log->info("REST API stopped");
}

}  // namespace meshorch
