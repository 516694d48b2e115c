// Internal: keeps the bootstrap tokens of VM proxies fresh.
//
// Istio's VM onboarding hands the proxy a ServiceAccount token that it uses to get (and later
// rotate) its certificate; once that token expires, rotation stops and the VM silently drops out
// of the mesh. The keeper runs for the orchestrator's lifetime: every check interval it looks at
// the services no operation is running on, asks the cluster for a new token for each VM whose
// token is past token_refresh_fraction of its lifetime, hands it to the injector, and records the
// new expiry. A service with a running operation is left for the next round (the operation owns
// its record); a failed refresh is reported as an event and retried on the next round.
#pragma once

#include "engine/async.hpp"

#include <chrono>
#include <string>

namespace meshorch::engine {

class Core;

class TokenKeeper {
public:
    explicit TokenKeeper(Core& core);
    // Starts the loop on `executor` (a strand of the engine).
    void start(Executor executor);
    // Stops the loop; in-flight calls see the cancel. Call before the engine's threads stop.
    void stop();

    // The interval between two rounds for these options.
    static std::chrono::milliseconds check_interval(std::chrono::seconds token_lifetime,
                                                    std::chrono::milliseconds configured);

private:
    Task<void> loop();
    Task<void> refresh_service(std::string service);

    Core& core_;
    CancelSource stop_;
};

}  // namespace meshorch::engine
