// Shared by the REST API tests: an orchestrator on a fast simulated world with an ApiServer in
// front of it, a real HTTP client, sample specs, and a Server-Sent Events reader.
#pragma once

#include "http/client.hpp"
#include "unit/engine/engine_support.hpp"

#include <meshorch/api_server.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace meshorch::api::test {

using namespace std::chrono_literals;

inline const std::string admin_token = "admin-3f9d1c-token";
inline const std::string reader_token = "reader-8b27e4-token";

// frontend (containers) -> cart (one VM): the smallest service with both substrates.
inline std::string shop_spec(const std::string& name = "shop", int cart_vms = 1) {
    return "apiVersion: meshorch.io/v1alpha1\n"
           "kind: Service\n"
           "metadata:\n"
           "  name: " +
           name +
           "\n"
           "spec:\n"
           "  microservices:\n"
           "  - name: frontend\n"
           "    ports:\n"
           "    - {name: http, number: 8080, protocol: HTTP}\n"
           "    versions:\n"
           "    - name: v1\n"
           "      container: {image: example/frontend:v1, replicas: 1}\n"
           "      vnf: {vnfdId: frontend-v1, flavourId: simple}\n"
           "  - name: cart\n"
           "    ports:\n"
           "    - {name: http, number: 8080, protocol: HTTP}\n"
           "    versions:\n"
           "    - name: v1\n"
           "      vm: {image: cart-v1, flavor: m1.small, network: private, instances: " +
           std::to_string(cart_vms) +
           "}\n"
           "      vnf: {vnfdId: cart-v1, flavourId: simple}\n"
           "  links:\n"
           "  - from: frontend\n"
           "    to: cart\n";
}

// The engine tests' fast simulation and orchestrator settings.
using engine_test::fast_sim;
inline OrchestratorOptions fast_orchestrator() {
    return engine_test::fast_options();
}

// The certificates of tests/emulators/pki.py, made once per test binary.
inline const std::string& pki_dir() {
    static const std::string dir = [] {
        std::string templ = ::testing::TempDir() + "/meshorch-api-pki-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        const std::string cmd = std::string("/usr/bin/python3 ") + MESHORCH_SOURCE_DIR +
                                "/tests/emulators/pki.py " + templ + " >/dev/null";
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("pki.py failed: " + cmd);
        return templ;
    }();
    return dir;
}

inline std::string pki(const std::string& file) {
    return pki_dir() + "/" + file;
}

inline CallContext within(std::chrono::milliseconds timeout) {
    CallContext ctx;
    ctx.deadline = Clock::now() + timeout;
    return ctx;
}

inline ApiServerOptions default_api_options() {
    ApiServerOptions o;
    o.tokens = {{admin_token, ApiRole::admin}, {reader_token, ApiRole::reader}};
    o.keep_alive_interval = 200ms;
    return o;
}

// A simulated world, an orchestrator on it and the REST API in front, with a client.
class ApiHarness {
public:
    explicit ApiHarness(ApiServerOptions options = default_api_options(),
                        sim::Options world_options = fast_sim(),
                        http::ClientOptions client_options = {}) {
        spdlog::set_level(spdlog::level::warn);
        world = sim::World::create(std::move(world_options));
        orchestrator = std::make_unique<Orchestrator>(world->backends(), fast_orchestrator());
        auto started = ApiServer::start(*orchestrator, std::move(options));
        if (!started) throw std::runtime_error("ApiServer::start: " + started.error().message);
        server = std::move(*started);
        auto c = http::Client::create(std::move(client_options));
        if (!c) throw std::runtime_error("Client::create: " + c.error().message);
        client = *c;
    }

    // One request; the token is sent as a bearer token unless empty.
    http::Response call(const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::string& content_type = "application/yaml",
                        const std::string& token = admin_token) {
        http::Request r;
        r.method = method;
        r.url = server->url() + path;
        if (!token.empty()) r.headers.push_back({"Authorization", "Bearer " + token});
        if (!body.empty() && !content_type.empty()) {
            r.headers.push_back({"Content-Type", content_type});
        }
        r.body = body;
        auto got = client->send(r, within(10s));
        if (!got) throw std::runtime_error(method + " " + path + ": " + got.error().message);
        return std::move(*got);
    }

    // Polls the operation until it is done; its last JSON.
    boost::json::object wait_done(const std::string& id, std::chrono::milliseconds limit = 20s) {
        const auto until = Clock::now() + limit;
        for (;;) {
            auto r = call("GET", "/v1/operations/" + id);
            if (r.status != 200) throw std::runtime_error("GET operation: " + r.body);
            auto op = boost::json::parse(r.body).as_object();
            if (op.at("done").as_bool()) return op;
            if (Clock::now() > until) throw std::runtime_error("operation did not end: " + r.body);
            std::this_thread::sleep_for(5ms);
        }
    }

    // Deploys the spec and waits for the operation; its final JSON.
    boost::json::object deploy(const std::string& spec) {
        auto r = call("POST", "/v1/services", spec);
        if (r.status != 202) throw std::runtime_error("deploy answered " + r.body);
        return wait_done(std::string(boost::json::parse(r.body).at("id").as_string()));
    }

    std::shared_ptr<sim::World> world;
    std::unique_ptr<Orchestrator> orchestrator;
    std::unique_ptr<ApiServer> server;
    std::shared_ptr<http::Client> client;
};

inline boost::json::value body_of(const http::Response& r) {
    return boost::json::parse(r.body);
}

// The error object of a response in the API's one error shape (fails the test otherwise).
inline boost::json::object error_of(const http::Response& r) {
    boost::json::value v;
    try {
        v = boost::json::parse(r.body);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON: " << r.body;
        return {};
    }
    const auto* e = v.is_object() ? v.as_object().if_contains("error") : nullptr;
    if (e == nullptr || !e->is_object()) {
        ADD_FAILURE() << "not the error shape: " << r.body;
        return {};
    }
    const auto& o = e->as_object();
    EXPECT_EQ(o.at("status").as_int64(), r.status) << r.body;
    EXPECT_TRUE(o.at("code").is_string()) << r.body;
    EXPECT_TRUE(o.at("message").is_string()) << r.body;
    EXPECT_TRUE(o.at("fields").is_array()) << r.body;
    return o;
}

// One Server-Sent Event as the client parsed it.
struct SseEvent {
    std::string event;
    std::string id;
    std::string data;
};

// Reads an event stream on its own thread until the server ends it or the reader is destroyed.
class SseReader {
public:
    SseReader(std::shared_ptr<http::Client> client, std::string url, std::string token)
        : client_(std::move(client)) {
        http::Request r;
        r.url = std::move(url);
        r.headers.push_back({"Authorization", "Bearer " + token});
        r.headers.push_back({"Accept", "text/event-stream"});
        CallContext ctx;
        ctx.deadline = Clock::now() + 60s;
        ctx.cancel = cancel_.token();
        thread_ = std::thread([this, r, ctx] {
            auto status = client_->stream(
                r, ctx,
                [this](const http::Response& head) {
                    std::lock_guard lock(mutex_);
                    head_ = head;
                    changed_.notify_all();
                },
                [this](std::string_view data) {
                    std::lock_guard lock(mutex_);
                    feed(data);
                    changed_.notify_all();
                    return true;
                });
            std::lock_guard lock(mutex_);
            ended_ = true;
            end_status_ = status.ok() ? "ok" : status.error().message;
            changed_.notify_all();
        });
    }
    ~SseReader() {
        cancel_.cancel();
        thread_.join();
    }

    // Waits until pred (called with the lock held) is true; false after the limit.
    bool wait(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, pred);
    }
    bool wait_head() {
        return wait([&] { return head_.has_value() || ended_; });
    }
    bool wait_ended(std::chrono::milliseconds limit = 10s) {
        return wait([&] { return ended_; }, limit);
    }

    // Copies, for after wait().
    std::vector<SseEvent> events() {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t comments() {
        std::lock_guard lock(mutex_);
        return comments_;
    }
    std::optional<http::Response> head() {
        std::lock_guard lock(mutex_);
        return head_;
    }
    bool ended() {
        std::lock_guard lock(mutex_);
        return ended_;
    }
    // For predicates passed to wait() (the lock is held there).
    const std::vector<SseEvent>& events_locked() const { return events_; }
    std::size_t comments_locked() const { return comments_; }

private:
    // The SSE wire format: "field: value" lines, a blank line ends an event, ':' a comment.
    void feed(std::string_view data) {
        buffer_ += data;
        for (auto end = buffer_.find("\n\n"); end != std::string::npos;
             end = buffer_.find("\n\n")) {
            const std::string block = buffer_.substr(0, end);
            buffer_.erase(0, end + 2);
            SseEvent e;
            bool any = false;
            std::size_t start = 0;
            while (start <= block.size()) {
                auto nl = block.find('\n', start);
                if (nl == std::string::npos) nl = block.size();
                const std::string line = block.substr(start, nl - start);
                start = nl + 1;
                if (line.empty()) continue;
                if (line[0] == ':') {
                    ++comments_;
                    continue;
                }
                const auto colon = line.find(": ");
                const std::string field = line.substr(0, colon);
                const std::string value = colon == std::string::npos ? "" : line.substr(colon + 2);
                if (field == "event") e.event = value;
                if (field == "id") e.id = value;
                if (field == "data") e.data += value;
                any = true;
            }
            if (any) events_.push_back(std::move(e));
        }
    }

    std::shared_ptr<http::Client> client_;
    CancelSource cancel_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::optional<http::Response> head_;
    std::string buffer_;
    std::vector<SseEvent> events_;
    std::size_t comments_ = 0;
    bool ended_ = false;
    std::string end_status_;
};

// A raw TCP connection to 127.0.0.1:port (-1 on failure), for clients that misbehave.
inline int raw_connect(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline unsigned short port_of(const std::string& url) {
    return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

inline long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace meshorch::api::test
