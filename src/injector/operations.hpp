// Internal: the three injector operations (inject, refresh_token, remove) as sequences of remote
// steps over one SSH session each. Blocking; the public SshInjector and the asynchronous port
// call them.
#pragma once

#include "injector/remote_layout.hpp"

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/ssh_injector.hpp>

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace meshorch::injector {

// What every operation needs, fixed when the injector is made.
struct InjectorContext {
    SshInjectorConfig config;
    RemoteLayout layout;
    std::string package;         // the proxy package's bytes ("" without a package)
    std::string package_sha256;  // "" without a package
    std::shared_ptr<spdlog::logger> log;
};

Result<InjectionResult> run_inject(const InjectorContext& c, const InjectionRequest& request,
                                   const CallContext& ctx);
Status run_refresh_token(const InjectorContext& c, const VmInstance& vm, const std::string& token,
                         const CallContext& ctx);
Status run_remove(const InjectorContext& c, const VmInstance& vm, const CallContext& ctx);

}  // namespace meshorch::injector
