// The public SshInjector (blocking) and the asynchronous SidecarInjector port over it.
#include "http/call_pool.hpp"
#include "injector/operations.hpp"

#include <meshorch/ssh_injector.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <mutex>
#include <sstream>

namespace meshorch::injector {

namespace {

std::shared_ptr<spdlog::logger> injector_logger() {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    if (auto l = spdlog::get("injector")) return l;
    try {
        return spdlog::stderr_color_mt("injector");
    } catch (const spdlog::spdlog_ex&) {
        return spdlog::get("injector");
    }
}

Result<std::string> read_package(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::io, "cannot read the proxy package " + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    if (!in && !in.eof()) return make_error(Errc::io, "cannot read the proxy package " + path);
    std::string bytes = std::move(buf).str();
    if (bytes.empty()) return make_error(Errc::io, "the proxy package " + path + " is empty");
    return bytes;
}

CallContext with_deadline(Deadline deadline) {
    CallContext ctx;
    ctx.deadline = deadline;
    return ctx;
}

class SshSidecarInjector final : public SidecarInjector {
public:
    SshSidecarInjector(std::shared_ptr<SshInjector> injector, std::size_t threads)
        : injector_(std::move(injector)), pool_(threads) {}

    void inject(const InjectionRequest& request, const CallContext& ctx,
                Callback<InjectionResult> done) override {
        pool_.run([in = injector_, request, ctx] { return in->inject(request, ctx); },
                  std::move(done));
    }

    void refresh_token(const VmInstance& vm, const std::string& token, const CallContext& ctx,
                       Callback<Ok> done) override {
        pool_.run([in = injector_, vm, token, ctx] { return in->refresh_token(vm, token, ctx); },
                  std::move(done));
    }

    void remove(const VmInstance& vm, const CallContext& ctx, Callback<Ok> done) override {
        pool_.run([in = injector_, vm, ctx] { return in->remove(vm, ctx); }, std::move(done));
    }

private:
    std::shared_ptr<SshInjector> injector_;
    http::CallPool pool_;  // last: its destructor finishes running jobs first
};

}  // namespace

struct SshInjector::Impl {
    InjectorContext context;
};

SshInjector::SshInjector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SshInjector::~SshInjector() = default;

Result<std::shared_ptr<SshInjector>> SshInjector::create(SshInjectorConfig config) {
    if (auto st = validate(config); !st) return std::move(st).error();
    auto impl = std::make_unique<Impl>();
    InjectorContext& c = impl->context;
    if (config.package_manager != PackageManager::none && !config.package_file.empty()) {
        auto bytes = read_package(config.package_file);
        if (!bytes) return std::move(bytes).error();
        c.package = std::move(*bytes);
        c.package_sha256 = sha256_hex(c.package);
    }
    c.layout = make_layout(config);
    c.config = std::move(config);
    c.log = injector_logger();
    return std::shared_ptr<SshInjector>(new SshInjector(std::move(impl)));
}

const SshInjectorConfig& SshInjector::config() const noexcept {
    return impl_->context.config;
}

Result<InjectionResult> SshInjector::inject(const InjectionRequest& request,
                                            const CallContext& ctx) {
    return run_inject(impl_->context, request, ctx);
}

Status SshInjector::refresh_token(const VmInstance& vm, const std::string& token,
                                  const CallContext& ctx) {
    return run_refresh_token(impl_->context, vm, token, ctx);
}

Status SshInjector::remove(const VmInstance& vm, const CallContext& ctx) {
    return run_remove(impl_->context, vm, ctx);
}

Result<InjectionResult> SshInjector::inject_sync(const InjectionRequest& request,
                                                 Deadline deadline) {
    return inject(request, with_deadline(deadline));
}

Status SshInjector::refresh_token_sync(const VmInstance& vm, const std::string& token,
                                       Deadline deadline) {
    return refresh_token(vm, token, with_deadline(deadline));
}

Status SshInjector::remove_sync(const VmInstance& vm, Deadline deadline) {
    return remove(vm, with_deadline(deadline));
}

Result<std::shared_ptr<SidecarInjector>> make_ssh_injector(SshInjectorConfig config) {
    const std::size_t threads = config.threads;
    auto injector = SshInjector::create(std::move(config));
    if (!injector) return std::move(injector).error();
    return std::shared_ptr<SidecarInjector>(
        std::make_shared<SshSidecarInjector>(std::move(*injector), threads));
}

}  // namespace meshorch::injector
