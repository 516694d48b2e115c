// meshorch serve: the orchestrator as a service, behind the REST API (README, "REST API").
#include "backends_setup.hpp"
#include "commands.hpp"
#include "session.hpp"

#include <meshorch/api_server.hpp>
#include <meshorch/backends.hpp>
#include <meshorch/etcd_store.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <pthread.h>
#include <unistd.h>

namespace {

using namespace meshorch;
using namespace meshorch::cli;

int run(const Args& args);

constexpr int exit_leadership_lost = 3;

const std::string help =
    std::string(
        "usage: meshorch serve [--listen ADDR:PORT] (--token-file FILE | --insecure-no-auth)\n"
        "                      [--tls-cert FILE --tls-key FILE [--client-ca FILE]]\n"
        "                      [--backends FILE | simulation options]\n"
        "\n"
        "Runs the orchestrator as a service: the REST API (/v1/services, /v1/operations,\n"
        "/v1/events, /healthz) on the simulated infrastructure, or with --backends on real\n"
        "ones. Prints one JSON line, {\"url\": \"http://127.0.0.1:8080\"}, on stdout once it\n"
        "listens; logs go to stderr (MESHORCH_LOG_LEVEL, default info). SIGTERM or SIGINT: stops\n"
        "accepting, ends the event streams, stops the orchestrator and exits 0: operations in\n"
        "flight are suspended with a durable store (--backends with `store:`; the next start\n"
        "resumes them), rolled back otherwise.\n"
        "\n"
        "options:\n"
        "  --listen ADDR:PORT    where to listen (default 127.0.0.1:8080; port 0: any free one)\n"
        "  --token-file FILE     bearer tokens, one `TOKEN ROLE` a line, ROLE admin (everything)\n"
        "                        or reader (GET only); # starts a comment\n"
        "  --insecure-no-auth    no authentication at all: anyone who reaches the port is admin\n"
        "  --tls-cert FILE       serve HTTPS with this certificate chain (PEM) ...\n"
        "  --tls-key FILE        ... and its key\n"
        "  --client-ca FILE      require client certificates signed by this CA (mutual TLS)\n"
        "  --max-body-bytes N    larger request bodies are answered 413 (default 1048576)\n"
        "  --read-timeout SEC    a request must arrive within this (default 10)\n"
        "  --threads N           HTTP server threads (default 2)\n"
        "  --keep-alive SEC      how often event streams get a keep-alive comment (default 15)\n"
        "  --instance-id ID      this instance's name in the etcd leader key (default HOST-PID)\n"
        "\n"
        "With a store of type etcd in the backends file, several instances share the services:\n"
        "one leads and serves; the others wait (no startup line) and take over, resuming the\n"
        "operations in flight, when its lease ends. A leader that loses its lease suspends and\n"
        "exits with status 3.\n") +
    std::string(backends_help) + std::string(simulation_help);

const Command command{"serve", "run the orchestrator behind its REST API", help, run};
[[maybe_unused]] const bool registered = add_command(command);

template <class T>
bool parse_number(const std::string& text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0".
bool parse_listen(const std::string& text, std::string& address, unsigned short& port) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    address = text.substr(0, colon);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
        address = address.substr(1, address.size() - 2);
    }
    return parse_number(text.substr(colon + 1), port);
}

// The backends and the orchestrator on them. On etcd, the orchestrator is made only once this
// instance leads (lead()).
struct Infrastructure {
    std::shared_ptr<sim::World> world;  // null on real backends
    std::unique_ptr<Orchestrator> orchestrator;
    bool durable_store = false;  // the service records outlive the process
    // etcd: the election this instance takes part in, and what the orchestrator is made from.
    std::shared_ptr<EtcdLeaderElection> election;
    std::optional<Backends> backends;
    OrchestratorOptions options;
};

// What ends serving: a signal, or (etcd) the loss of leadership. Set from other threads.
class StopReason {
public:
    void stop(std::string why, bool lost_leadership) {
        {
            std::lock_guard lock(mutex_);
            if (stopped_) return;
            stopped_ = true;
            why_ = std::move(why);
            lost_ = lost_leadership;
        }
        cancel_.cancel();
        cv_.notify_all();
    }
    void wait() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopped_; });
    }
    CancelToken token() const { return cancel_.token(); }
    bool lost_leadership() const {
        std::lock_guard lock(mutex_);
        return lost_;
    }
    std::string why() const {
        std::lock_guard lock(mutex_);
        return why_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    CancelSource cancel_;
    bool stopped_ = false;
    bool lost_ = false;
    std::string why_;
};

std::optional<Infrastructure> simulated(const ParsedArgs& args) {
    auto simulation = simulation_from(command, args);
    if (!simulation) return std::nullopt;
    Infrastructure infra;
    infra.world = std::move(simulation->world);
    infra.orchestrator =
        std::make_unique<Orchestrator>(infra.world->backends(), simulation->options);
    return infra;
}

// "host-pid": unique among the instances of one etcd prefix unless told otherwise.
std::string default_instance_id() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "meshorch");
    return std::string(host) + "-" + std::to_string(getpid());
}

std::optional<Infrastructure> real(const std::string& file, const std::string& instance_id) {
    auto config = read_backends_config(file);
    if (!config) return std::nullopt;
    OrchestratorOptions options;
    config->apply_to(options);
    auto backends = make_backends(*config);
    if (!backends) {
        print_error(file, backends.error());
        return std::nullopt;
    }
    Infrastructure infra;
    infra.durable_store = config->store.type != StoreConfig::Type::memory;
    if (config->store.type == StoreConfig::Type::etcd) {
        // Several instances share the store: only the leader acts, and its writes are fenced.
        auto election = EtcdLeaderElection::create(config->store.etcd, instance_id);
        if (!election) {
            print_error(file, election.error());
            return std::nullopt;
        }
        auto store = EtcdStateStore::open(config->store.etcd, *election);
        if (!store) {
            print_error(file, store.error());
            return std::nullopt;
        }
        backends->store = *store;
        infra.election = *election;
        infra.backends = std::move(*backends);
        infra.options = options;
        return infra;
    }
    try {
        infra.orchestrator = std::make_unique<Orchestrator>(std::move(*backends), options);
    } catch (const std::exception& e) {  // a store that cannot be read: never taken as empty
        std::fprintf(stderr, "meshorch: %s: %s\n", file.c_str(), e.what());
        return std::nullopt;
    }
    return infra;
}

// etcd: waits until this instance leads (false: stopped first), then makes the orchestrator,
// which resumes the operations the previous leader left in flight.
bool lead(Infrastructure& infra, StopReason& stop) {
    if (!infra.election) return true;
    infra.election->on_lost(
        [&stop](const Error& why) { stop.stop("leadership lost: " + why.message, true); });
    auto leader = infra.election->leader();
    spdlog::info("instance {}: waiting to lead (leader now: {})", infra.election->candidate_id(),
                 leader.ok() && *leader ? **leader : std::string("none"));
    CallContext ctx;
    ctx.cancel = stop.token();
    if (Status won = infra.election->campaign(ctx); !won.ok()) {
        if (won.error().code != Errc::cancelled) {
            spdlog::error("campaign: {}", won.error().message);
        }
        return false;
    }
    spdlog::info("instance {} leads", infra.election->candidate_id());
    try {
        infra.orchestrator =
            std::make_unique<Orchestrator>(std::move(*infra.backends), infra.options);
    } catch (const std::exception& e) {
        spdlog::error("cannot start the orchestrator: {}", e.what());
        return false;
    }
    return true;
}

// Ends serving: the API first (no new requests, event streams ended), then the orchestrator.
// With a durable store, operations in flight are suspended: their journals stay in the store
// and the next `meshorch serve` on it finishes them. With the in-memory store nothing could
// resume them, so destroying the orchestrator cancels and rolls them back.
void shut_down(std::unique_ptr<ApiServer>& api, Infrastructure& infra) {
    api->stop();
    api.reset();
    if (infra.durable_store) {
        spdlog::info("suspending operations in flight; the next start on the store resumes them");
        infra.orchestrator->suspend();
    }
    infra.orchestrator.reset();
    infra.world.reset();
    // Resigning revokes the lease: a standby takes over at once instead of after the TTL.
    if (infra.election && infra.election->is_leader()) (void)infra.election->resign();
    infra.election.reset();
}

int run(const Args& args) {
    auto parsed = parse_args(command, args,
                             {{"listen", 0, true},
                              {"token-file", 0, true},
                              {"insecure-no-auth", 0, false},
                              {"tls-cert", 0, true},
                              {"tls-key", 0, true},
                              {"client-ca", 0, true},
                              {"max-body-bytes", 0, true},
                              {"read-timeout", 0, true},
                              {"threads", 0, true},
                              {"keep-alive", 0, true},
                              {"backends", 0, true},
                              {"instance-id", 0, true},
                              {"latency-ms", 0, true},
                              {"fault-rate", 0, true},
                              {"seed", 0, true},
                              {"plain", 0, false}});
    if (!parsed) return exit_usage;
    if (parsed->help) return print_help(command);
    if (!parsed->positional.empty()) return usage_error(command, "takes no positional arguments");

    ApiServerOptions options;
    options.port = 8080;
    if (parsed->has("listen") &&
        !parse_listen(parsed->get("listen"), options.address, options.port)) {
        return usage_error(command, "--listen needs ADDR:PORT, e.g. 127.0.0.1:8080");
    }
    if (parsed->has("token-file") == parsed->has("insecure-no-auth")) {
        return usage_error(command,
                           "give --token-file FILE, or (for a trusted network only) "
                           "--insecure-no-auth; not both");
    }
    if (parsed->has("tls-cert") != parsed->has("tls-key")) {
        return usage_error(command, "--tls-cert and --tls-key go together");
    }
    if (parsed->has("client-ca") && !parsed->has("tls-cert")) {
        return usage_error(command, "--client-ca needs --tls-cert and --tls-key");
    }
    if (parsed->has("tls-cert")) {
        options.tls = ApiTlsOptions{parsed->get("tls-cert"), parsed->get("tls-key"),
                                    parsed->get("client-ca")};
    }
    if (parsed->has("max-body-bytes") &&
        (!parse_number(parsed->get("max-body-bytes"), options.max_body_bytes) ||
         options.max_body_bytes == 0)) {
        return usage_error(command, "--max-body-bytes needs a whole number > 0");
    }
    double seconds = 0;
    if (parsed->has("read-timeout")) {
        if (!parse_number(parsed->get("read-timeout"), seconds) || seconds <= 0) {
            return usage_error(command, "--read-timeout needs a number of seconds > 0");
        }
        options.read_timeout = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
    if (parsed->has("keep-alive")) {
        if (!parse_number(parsed->get("keep-alive"), seconds) || seconds <= 0) {
            return usage_error(command, "--keep-alive needs a number of seconds > 0");
        }
        options.keep_alive_interval = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
    if (parsed->has("threads") &&
        (!parse_number(parsed->get("threads"), options.threads) || options.threads < 1)) {
        return usage_error(command, "--threads needs a whole number >= 1");
    }
    if (parsed->has("backends") && !simulation_flags_absent(command, *parsed)) return exit_usage;
    if (parsed->has("token-file")) {
        auto tokens = load_api_tokens(parsed->get("token-file"));
        if (!tokens) {
            print_error(parsed->get("token-file"), tokens.error());
            return exit_invalid;
        }
        options.tokens = std::move(*tokens);
    } else {
        options.allow_unauthenticated = true;
    }

    // A server logs; stdout carries the one startup line only.
    if (!std::getenv("MESHORCH_LOG_LEVEL")) spdlog::set_level(spdlog::level::info);
    spdlog::set_default_logger(spdlog::stderr_color_mt("serve"));

    // SIGTERM and SIGINT are taken by sigwait below: blocked before any thread starts, so
    // every thread inherits the mask and none of them is interrupted.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto infra =
        parsed->has("backends")
            ? real(parsed->get("backends"),
                   parsed->has("instance-id") ? parsed->get("instance-id") : default_instance_id())
            : simulated(*parsed);
    if (!infra) return parsed->has("backends") ? exit_invalid : exit_usage;

    StopReason stop;
    std::thread signal_waiter([&] {
        int signal = 0;
        sigwait(&signals, &signal);
        stop.stop(signal == SIGTERM ? "SIGTERM" : "SIGINT", false);
    });
    // The signal thread ends with the process (a stop for another reason does not wake it).
    signal_waiter.detach();
    if (!lead(*infra, stop)) {
        spdlog::info("{}: stopped before leading", stop.why().empty() ? "campaign" : stop.why());
        return stop.why().empty() ? exit_invalid : exit_ok;
    }

    auto started = ApiServer::start(*infra->orchestrator, options);
    if (!started) {
        print_error("meshorch serve", started.error());
        return exit_invalid;
    }
    std::unique_ptr<ApiServer> api = std::move(*started);
    const boost::json::object ready{{"url", api->url()}};
    if (!write_stdout(boost::json::serialize(ready) + "\n")) return exit_invalid;

    stop.wait();
    spdlog::info("{}: shutting down", stop.why());
    shut_down(api, *infra);
    spdlog::info("stopped");
    // A deposed leader exits non-zero: whatever supervises it restarts it as a standby.
    return stop.lost_leadership() ? exit_leadership_lost : exit_ok;
}

}  // namespace
