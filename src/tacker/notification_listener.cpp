#include "tacker/notification_listener.hpp"

#include "openstack/json_fields.hpp"
#include "openstack/logging.hpp"

#include <spdlog/spdlog.h>

namespace meshorch::tacker {

namespace {

http::Response answer(int status, std::string body = {}) {
    http::Response r;
    r.status = status;
    if (!body.empty()) {
        r.headers.push_back({"Content-Type", "application/problem+json"});
        r.body = std::move(body);
    }
    return r;
}

}  // namespace

NotificationListener::NotificationListener(std::shared_ptr<OperationNotifier> notifier)
    : notifier_(std::move(notifier)) {}

NotificationListener::~NotificationListener() {
    stop();
}

Result<std::unique_ptr<NotificationListener>> NotificationListener::start(
    const openstack::NotificationOptions& options, std::shared_ptr<OperationNotifier> notifier) {
    std::unique_ptr<NotificationListener> listener(new NotificationListener(std::move(notifier)));
    http::ServerOptions server_options;
    server_options.address = options.listen_address;
    server_options.port = options.port;
    server_options.logger = "tacker";
    auto* self = listener.get();
    auto server = http::Server::start(
        server_options, [self](const http::ServerRequest& r) { return self->handle(r); });
    if (!server) {
        Error e = std::move(server).error();
        e.message = "LCM notification listener on " + options.listen_address + ":" +
                    std::to_string(options.port) + ": " + e.message;
        return e;
    }
    listener->server_ = std::move(*server);
    listener->callback_url_ = options.callback_url.empty()
                                  ? listener->server_->url() + "/notifications"
                                  : options.callback_url;
    openstack::logger("tacker")->info("LCM notification listener at {}", listener->callback_url_);
    return listener;
}

void NotificationListener::stop() {
    if (server_) server_->stop();
}

http::Response NotificationListener::handle(const http::ServerRequest& request) {
    if (request.method == "GET") {  // Tacker's check that the callback URI works
        ++tests_;
        return answer(204);
    }
    if (request.method != "POST") return answer(405);
    auto body = openstack::parse_object(request.body, "LCM notification");
    if (!body) {
        return answer(400, R"({"status": 400, "detail": "the notification is not a JSON object"})");
    }
    ++received_;
    const auto type = openstack::string_or_empty(*body, "notificationType");
    const auto op_id = openstack::string_or_empty(*body, "vnfLcmOpOccId");
    if (type == "VnfLcmOperationOccurrenceNotification" && !op_id.empty()) {
        openstack::logger("tacker")->debug("notification: op occurrence {} is {}", op_id,
                                           openstack::string_or_empty(*body, "operationState"));
        notifier_->notify(op_id);
    }
    return answer(204);
}

}  // namespace meshorch::tacker
