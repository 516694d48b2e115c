// Shared by the HTTP tests: the test PKI, a raw TCP server for servers that misbehave on
// purpose, a log capture, and small helpers.
#pragma once

#include "http/client.hpp"
#include "http/server.hpp"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace meshorch::http::test {

using namespace std::chrono_literals;

// The certificates of tests/emulators/pki.py, made once per test binary in a temporary folder.
inline const std::string& pki_dir() {
    static const std::string dir = [] {
        std::string templ = ::testing::TempDir() + "/meshorch-http-pki-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        const std::string cmd = std::string("/usr/bin/python3 ") + MESHORCH_SOURCE_DIR +
                                "/tests/emulators/pki.py " + templ;
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

inline Response reply(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

inline std::shared_ptr<Client> make_client(ClientOptions options = {}) {
    auto c = Client::create(std::move(options));
    if (!c) throw std::runtime_error("Client::create: " + c.error().message);
    return *c;
}

inline std::unique_ptr<Server> start_server(ServerOptions options, Handler handler) {
    auto s = Server::start(std::move(options), std::move(handler));
    if (!s) throw std::runtime_error("Server::start: " + s.error().message);
    return std::move(*s);
}

inline ServerTlsOptions server_tls(const std::string& name = "server") {
    return ServerTlsOptions{pki(name + ".pem"), pki(name + "-key.pem"), ""};
}

inline ServerOptions server_options(const std::function<void(ServerOptions&)>& set) {
    ServerOptions o;
    set(o);
    return o;
}

// A TLS server presenting pki.py's `name`.pem.
inline ServerOptions tls_server(const std::string& name = "server") {
    ServerOptions o;
    o.tls = server_tls(name);
    return o;
}

inline long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Blocking socket helpers for the raw server.
inline bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Reads up to the end of a request's headers ("" when the client closed first).
inline std::string read_head(int fd) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos) {
        if (::recv(fd, &c, 1, 0) != 1) return {};
        head += c;
    }
    return head;
}

// A plain TCP server on 127.0.0.1 whose connections `serve(fd)` handles byte by byte, one
// thread each: for servers that never answer, drip, cut a body short or speak broken HTTP.
class RawServer {
public:
    explicit RawServer(std::function<void(int fd)> serve, int backlog = 16)
        : serve_(std::move(serve)) {
        listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto* sa = reinterpret_cast<sockaddr*>(&addr);
        socklen_t len = sizeof addr;
        if (::bind(listener_, sa, len) != 0 || ::listen(listener_, backlog) != 0 ||
            ::getsockname(listener_, sa, &len) != 0) {
            throw std::runtime_error("raw server: cannot listen");
        }
        port_ = ntohs(addr.sin_port);
        if (serve_) accepting_ = std::thread([this] { accept_loop(); });
    }
    ~RawServer() {
        ::shutdown(listener_, SHUT_RDWR);
        if (accepting_.joinable()) accepting_.join();
        {
            std::lock_guard lock(mutex_);
            for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& t : workers_) t.join();
        ::close(listener_);
    }
    unsigned short port() const { return port_; }
    std::string url(const std::string& path = "/") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }
    int accepted() const { return accepted_; }

private:
    void accept_loop() {
        for (;;) {
            const int fd = ::accept(listener_, nullptr, nullptr);
            if (fd < 0) return;
            ++accepted_;
            std::lock_guard lock(mutex_);
            fds_.push_back(fd);
            workers_.emplace_back([this, fd] {
                serve_(fd);
                ::shutdown(fd, SHUT_RDWR);
                // The fd stays open until destruction so its number is never reused meanwhile.
            });
        }
    }

    std::function<void(int)> serve_;
    int listener_ = -1;
    unsigned short port_ = 0;
    std::atomic<int> accepted_{0};
    std::thread accepting_;
    std::mutex mutex_;
    std::vector<int> fds_;
    std::vector<std::thread> workers_;

public:
    RawServer(const RawServer&) = delete;
    RawServer& operator=(const RawServer&) = delete;
};

// Every line one named logger writes, at trace level, while this lives.
class LogCapture {
public:
    explicit LogCapture(std::string name) : name_(std::move(name)) {
        spdlog::drop(name_);
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        logger_ = std::make_shared<spdlog::logger>(name_, sink);
        logger_->set_level(spdlog::level::trace);
        logger_->flush_on(spdlog::level::trace);
        spdlog::register_logger(logger_);
    }
    ~LogCapture() { spdlog::drop(name_); }
    std::string text() {
        logger_->flush();
        return out_.str();
    }

private:
    std::string name_;
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace meshorch::http::test
