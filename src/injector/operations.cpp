#include "injector/operations.hpp"

#include "injector/remote_command.hpp"
#include "injector/remote_scripts.hpp"
#include "injector/ssh_session.hpp"

#include <meshorch/vm_bundle.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace meshorch::injector {

namespace {

constexpr std::size_t stderr_excerpt = 600;
// A fresh install that fails is undone; keep this much of the deadline for it.
constexpr auto undo_reserve = std::chrono::seconds(5);
constexpr auto probe_timeout = std::chrono::milliseconds(2000);

std::string excerpt(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    if (s.size() > stderr_excerpt) s = "..." + s.substr(s.size() - stderr_excerpt);
    return s;
}

std::string describe(const VmInstance& vm) {
    std::string out = vm.address.empty() ? std::string("(no address)") : vm.address;
    if (!vm.server_id.empty()) out += " (server " + vm.server_id + ")";
    return out;
}

Status check_vm(const VmInstance& vm) {
    if (vm.address.empty()) {
        return make_error(Errc::invalid_argument, "VM " + describe(vm) + " has no address");
    }
    // The address goes to getaddrinfo only, never to a shell; still refuse the absurd.
    for (char ch : vm.address) {
        const bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
                        (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' || ch == '-' ||
                        ch == '%' || ch == '_';
        if (!ok) {
            return make_error(Errc::invalid_argument, "VM address \"" + vm.address +
                                                          "\" is not an IP address or host name");
        }
    }
    return Ok{};
}

// One operation on one VM: the session plus the helpers every step uses.
class Remote {
public:
    Remote(const InjectorContext& c, const CallContext& ctx, std::string what)
        : c_(c), ctx_(ctx), what_(std::move(what)) {}

    Status connect(const VmInstance& vm, bool* unreachable = nullptr) {
        vm_ = describe(vm);
        auto s = SshSession::open(c_.config, vm.address, ctx_, c_.log, unreachable);
        if (!s) return std::move(s).error();
        session_ = std::move(*s);
        return Ok{};
    }

    // Runs `script`; a non-zero exit status is Errc::backend naming `step`.
    Result<CommandOutput> step(const std::string& step, const std::string& script) {
        auto out = run(step, script);
        if (!out) return out;
        if (out->exit_status != 0) {
            return make_error(Errc::backend,
                              step + " on VM " + vm_ + " failed (exit status " +
                                  std::to_string(out->exit_status) + ")" +
                                  (out->err.empty() ? std::string() : ": " + excerpt(out->err)));
        }
        return out;
    }

    // Runs `script` and hands back its exit status and output, whatever they are.
    Result<CommandOutput> run(const std::string& step, const std::string& script) {
        c_.log->debug("[{}] {} {}: {}", ctx_.operation_id, what_, vm_, step);
        auto out = session_->run(remote_command(c_.config, script), c_.config.command_timeout);
        if (!out) {
            Error e = std::move(out).error();
            e.message = step + ": " + e.message;
            return e;
        }
        return out;
    }

    Status upload(const std::string& path, std::string_view content, unsigned mode) {
        c_.log->debug("[{}] {} {}: upload {} ({} bytes)", ctx_.operation_id, what_, vm_, path,
                      content.size());
        return session_->upload(path, content, mode);
    }

    Result<std::string> make_staging() {
        auto out = step("creating a staging directory", make_staging_script(c_.layout));
        if (!out) return std::move(out).error();
        std::string dir = out->out;
        while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
        if (!is_safe_remote_path(dir)) {
            return make_error(Errc::backend,
                              "mktemp on VM " + vm_ + " printed an unusable path: " + excerpt(dir));
        }
        return dir;
    }

    void remove_staging(const std::string& dir) {
        if (dir.empty() || session_->interrupted()) return;
        if (auto st = step("removing the staging directory", remove_staging_script(dir)); !st) {
            c_.log->warn("[{}] {} {}: {}", ctx_.operation_id, what_, vm_, st.error().message);
        }
    }

    // Polls the proxy's readiness endpoint through the SSH session until it answers 200.
    Status wait_ready(Deadline until_time) {
        const std::string where =
            "127.0.0.1:" + std::to_string(c_.config.readiness_port) + c_.config.readiness_path;
        std::string last = "no answer yet";
        for (;;) {
            auto status = session_->http_get_status(c_.config.readiness_port,
                                                    c_.config.readiness_path, probe_timeout);
            if (status && *status == 200) return Ok{};
            if (session_->interrupted()) return std::move(status).error();
            last = status ? "HTTP " + std::to_string(*status) : status.error().message;
            const auto pause = c_.config.readiness_interval;
            if (Clock::now() + pause >= until_time) break;
            for (auto slept = Clock::duration::zero(); slept < pause;
                 slept += std::chrono::milliseconds(20)) {
                if (ctx_.cancel.cancelled()) {
                    return make_error(Errc::cancelled,
                                      "waiting for the proxy on VM " + vm_ + ": cancelled");
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        return make_error(Errc::timeout, "the proxy on VM " + vm_ + " did not become ready (" +
                                             where + ") in time; last: " + last);
    }

    SshSession& session() { return *session_; }
    const std::string& vm() const { return vm_; }

private:
    const InjectorContext& c_;
    const CallContext& ctx_;
    std::string what_;
    std::string vm_;
    std::unique_ptr<SshSession> session_;
};

// Stops the proxy, removes its files, its package and the hosts block. Best effort for the
// undo of a failed fresh install (every step runs), strict for remove().
Status tear_down(Remote& r, const InjectorContext& c, bool best_effort) {
    Status first = Ok{};
    auto note = [&](Status st) {
        if (st || !first) return;
        first = std::move(st);
    };
    // Stopping a service that is not there fails; that is the state wanted.
    if (auto out = r.run("stopping the proxy", service_script(c.config.service.stop)); !out) {
        note(std::move(out).error());
        if (!best_effort) return first;
    }
    if (auto out = r.step("removing the proxy's files", remove_files_script(c.layout)); !out) {
        note(std::move(out).error());
        if (!best_effort) return first;
    }
    if (auto out = r.step("removing the proxy package", remove_package_script(c.config)); !out) {
        note(std::move(out).error());
        if (!best_effort) return first;
    }
    auto hosts = r.step("reading /etc/hosts", read_file_script(c.layout.hosts));
    if (!hosts) {
        note(std::move(hosts).error());
        return first;
    }
    const std::string cleaned = hosts_without_block(hosts->out);
    if (cleaned != hosts->out) {
        auto staging = r.make_staging();
        if (!staging) {
            note(std::move(staging).error());
            return first;
        }
        const std::string staged = *staging + "/hosts";
        Status st = r.upload(staged, cleaned, 0600);
        if (st) {
            auto out = r.step("editing /etc/hosts", install_hosts_script(c.layout, staged));
            if (!out) st = std::move(out).error();
        }
        note(std::move(st));
        r.remove_staging(*staging);
    }
    return first;
}

struct Plan {
    std::vector<ManagedFile> files;
    ChangeSet changes;
    std::string hosts_now;
    std::string hosts_next;
    bool active = false;
};

Result<Plan> survey(Remote& r, const InjectorContext& c, const VmBundle& bundle) {
    Plan p;
    auto files = desired_files(c.config, c.layout, bundle, c.package_sha256);
    if (!files) return std::move(files).error();
    p.files = std::move(*files);
    auto survey =
        r.step("reading the proxy's state", inject_survey_script(c.config, c.layout, p.files));
    if (!survey) return std::move(survey).error();
    const std::string& out = survey->out;
    const std::string separator = "\n" + std::string(survey_hosts_separator) + "\n";
    const auto first_nl = out.find('\n');
    const auto sep = out.find(separator);
    if (first_nl == std::string::npos || sep == std::string::npos || sep < first_nl) {
        return make_error(Errc::backend, "reading the proxy's state on VM " + r.vm() +
                                             ": unexpected output: " + excerpt(out));
    }
    p.active = out.substr(0, first_nl) == "active";
    p.changes = plan_changes(
        p.files, parse_sha256sum(std::string_view(out).substr(first_nl + 1, sep - first_nl)),
        c.layout);
    p.hosts_now = out.substr(sep + separator.size());
    auto block = bundle.files.find(vm_bundle_hosts);
    p.hosts_next = hosts_with_block(p.hosts_now, block == bundle.files.end() ? "" : block->second);
    return p;
}

// Uploads and installs what the plan says, then starts or restarts the proxy.
Status apply(Remote& r, const InjectorContext& c, const Plan& p, const std::string& staging) {
    std::vector<ManagedFile> files;  // all but the state file, which comes last
    const ManagedFile* state = nullptr;
    for (const auto& f : p.changes.upload) {
        if (f.name == "state") {
            state = &f;
            continue;
        }
        if (auto st = r.upload(staging + "/" + f.name, f.content, 0600); !st) return st;
        files.push_back(f);
    }
    const bool with_package = p.changes.package_changed && !c.package.empty();
    const std::string staged_package =
        staging + (c.config.package_manager == PackageManager::rpm ? "/proxy.rpm" : "/proxy.deb");
    if (with_package) {
        if (auto st = r.upload(staged_package, c.package, 0600); !st) return st;
    }
    const bool hosts_changed = p.hosts_next != p.hosts_now;
    if (hosts_changed) {
        if (auto st = r.upload(staging + "/hosts", p.hosts_next, 0600); !st) return st;
    }
    if (state) {
        if (auto st = r.upload(staging + "/state", state->content, 0600); !st) return st;
    }
    // The package first: Istio's package creates the proxy's user and group (its postinst),
    // which own the bundle files installed next.
    if (with_package) {
        auto out = r.step("installing the proxy package",
                          install_package_script(c.config, staged_package));
        if (!out) return std::move(out).error();
    }
    if (!files.empty()) {
        auto out = r.step("installing the bundle files",
                          install_files_script(c.config, c.layout, files, staging));
        if (!out) return std::move(out).error();
    }
    if (hosts_changed) {
        auto out = r.step("editing /etc/hosts", install_hosts_script(c.layout, staging + "/hosts"));
        if (!out) return std::move(out).error();
    }
    if (state) {
        auto out = r.step("recording the installation",
                          install_files_script(c.config, c.layout, {*state}, staging));
        if (!out) return std::move(out).error();
    }
    if (!p.active) {
        auto out = r.step("starting the proxy", service_script(c.config.service.start));
        if (!out) return std::move(out).error();
    } else if (p.changes.restart_needed) {
        auto out = r.step("restarting the proxy", service_script(c.config.service.restart));
        if (!out) return std::move(out).error();
    }
    return Ok{};
}

Deadline readiness_deadline(const InjectorContext& c, const CallContext& ctx, bool keep_reserve) {
    Deadline d = Clock::now() + c.config.readiness_timeout;
    if (ctx.deadline != Deadline::max()) {
        Deadline limit = ctx.deadline;
        if (keep_reserve) {
            const auto left = ctx.deadline - Clock::now();
            limit -= std::min<Clock::duration>(undo_reserve, left / 4);
        }
        d = std::min(d, limit);
    }
    return d;
}

}  // namespace

Result<InjectionResult> run_inject(const InjectorContext& c, const InjectionRequest& request,
                                   const CallContext& ctx) {
    if (auto st = check_vm(request.vm); !st) return std::move(st).error();
    Remote r(c, ctx, "inject");
    if (auto st = r.connect(request.vm); !st) return std::move(st).error();
    auto plan = survey(r, c, request.bundle);
    if (!plan) return std::move(plan).error();
    const Plan& p = *plan;
    if (p.changes.empty() && p.hosts_next == p.hosts_now && p.active) {
        c.log->info("[{}] inject {}: the proxy is there with the same bundle", ctx.operation_id,
                    r.vm());
        if (auto st = r.wait_ready(readiness_deadline(c, ctx, false)); !st) {
            return std::move(st).error();
        }
        return InjectionResult{false};
    }
    c.log->info("[{}] inject {}: {} file(s) to write{}{}{}", ctx.operation_id, r.vm(),
                p.changes.upload.size(), p.changes.fresh ? ", fresh install" : "",
                p.changes.package_changed ? ", package" : "",
                p.hosts_next != p.hosts_now ? ", /etc/hosts" : "");

    Status result = Ok{};
    auto staging = r.make_staging();
    if (!staging) {
        result = std::move(staging).error();
    } else {
        result = apply(r, c, p, *staging);
        r.remove_staging(*staging);
        if (result) result = r.wait_ready(readiness_deadline(c, ctx, p.changes.fresh));
    }
    if (result) {
        c.log->info("[{}] inject {}: the proxy is ready", ctx.operation_id, r.vm());
        return InjectionResult{true};
    }
    if (p.changes.fresh && !r.session().interrupted()) {
        // Nothing of meshorch's was on the VM before: leave nothing half-installed behind.
        c.log->warn("[{}] inject {}: {}; removing the half-installed proxy", ctx.operation_id,
                    r.vm(), result.error().message);
        if (auto st = tear_down(r, c, true); !st) {
            c.log->warn("[{}] inject {}: undo incomplete: {}", ctx.operation_id, r.vm(),
                        st.error().message);
        }
    }
    return std::move(result).error();
}

Status run_refresh_token(const InjectorContext& c, const VmInstance& vm, const std::string& token,
                         const CallContext& ctx) {
    if (auto st = check_vm(vm); !st) return st;
    if (token.empty() || token.find('\0') != std::string::npos) {
        return make_error(Errc::invalid_argument,
                          "refresh of VM " + describe(vm) + ": the token is empty or holds NUL");
    }
    Remote r(c, ctx, "refresh_token");
    if (auto st = r.connect(vm); !st) return st;
    const ManagedFile file = token_file(c.layout, token);
    ManagedFile state;
    state.path = c.layout.state;
    auto sums = r.step("reading the token", survey_script({file, state}));
    if (!sums) return std::move(sums).error();
    const auto remote = parse_sha256sum(sums->out);
    if (remote.find(c.layout.state) == remote.end()) {
        return make_error(Errc::backend, "no proxy installed by meshorch on VM " + r.vm() +
                                             " to refresh the token of");
    }
    if (auto it = remote.find(file.path); it != remote.end() && it->second == file.sha256) {
        return Ok{};
    }
    auto staging = r.make_staging();
    if (!staging) return std::move(staging).error();
    Status result = r.upload(*staging + "/" + file.name, token, 0600);
    if (result) {
        auto out = r.step("replacing the token",
                          install_files_script(c.config, c.layout, {file}, *staging));
        if (!out) result = std::move(out).error();
    }
    r.remove_staging(*staging);
    if (result) {
        // No restart: pilot-agent reads the token file again for each certificate request.
        c.log->info("[{}] refresh_token {}: token replaced", ctx.operation_id, r.vm());
    }
    return result;
}

Status run_remove(const InjectorContext& c, const VmInstance& vm, const CallContext& ctx) {
    if (auto st = check_vm(vm); !st) return st;
    Remote r(c, ctx, "remove");
    bool unreachable = false;
    if (auto st = r.connect(vm, &unreachable); !st) {
        if (unreachable) {
            // The port's contract: a VM that is gone is success. Refused and unroutable
            // connections count as gone; authentication and host-key failures do not.
            c.log->info("[{}] remove {}: VM unreachable ({}), counted as gone", ctx.operation_id,
                        describe(vm), st.error().message);
            return Ok{};
        }
        return st;
    }
    if (auto st = tear_down(r, c, false); !st) return st;
    c.log->info("[{}] remove {}: proxy removed", ctx.operation_id, r.vm());
    return Ok{};
}

}  // namespace meshorch::injector
