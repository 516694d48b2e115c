// Internals of the C interface: the handle types, the thread-local error and the guard that
// keeps exceptions from crossing the extern "C" boundary. Not installed.
#pragma once

#include <meshorch/meshorch.h>

#include <meshorch/error.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>
#include <meshorch/state.hpp>

#include <boost/json/value.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace meshorch::capi {

// ---- status and the thread-local error -------------------------------------------------------

// meshorch::Errc -> MESHORCH_E_*; an Errc this file does not know yet is MESHORCH_E_INTERNAL.
int status_of(Errc code) noexcept;
// The C++ name of a status for the "code" member of the detail ("invalid_spec", ...).
const char* code_name(int status) noexcept;

// Records `error` as this thread's last error and returns its status.
int fail(const Error& error) noexcept;
// Records a failure that has no C++ Error (C-only codes, bad arguments).
int fail(int status, const std::string& message) noexcept;
int fail(int status, const std::string& message, const std::vector<FieldError>& fields) noexcept;
// Records success and returns MESHORCH_OK.
int succeed() noexcept;

// Runs `body` (which returns a status), turning every exception into a status.
template <class F>
int guarded(F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return fail(MESHORCH_E_NOMEM, "out of memory");
    } catch (const std::exception& e) {
        return fail(MESHORCH_E_INTERNAL, std::string("internal error: ") + e.what());
    } catch (...) {
        return fail(MESHORCH_E_INTERNAL, "internal error: unknown exception");
    }
}

// A NULL argument: MESHORCH_E_INVALID_ARGUMENT naming the parameter.
int null_argument(const char* function, const char* parameter) noexcept;

// A malloc'ed copy for the caller (freed with meshorch_free). Throws std::bad_alloc.
char* dup_string(const std::string& s);
// Serializes `value` and hands it to the caller through `out`.
int give_json(char** out, const boost::json::value& value);
int give_string(char** out, const std::string& text);

// ---- JSON of value types -------------------------------------------------------------------

boost::json::value field_errors_json(const std::vector<FieldError>& fields);
boost::json::object status_json(const ServiceStatus& status);

}  // namespace meshorch::capi

// ---- handles ---------------------------------------------------------------------------------

// One subscription. The wrapper around the C callback counts the threads inside it, so that
// meshorch_unsubscribe() can wait for them to leave (except the calling thread itself).
struct meshorch_capi_subscription {
    meshorch_event_cb cb = nullptr;
    void* payload = nullptr;
    meshorch::SubscriptionId engine_id = 0;

    std::mutex mutex;
    std::condition_variable left;
    bool active = true;
    std::vector<std::thread::id> inside;

    void deliver(const meshorch::Event& event) noexcept;
    // Stops deliveries; waits until no other thread is inside the callback.
    void deactivate() noexcept;
};

struct meshorch_orchestrator {
    // Declaration order matters: the orchestrator goes before the simulated world it drives.
    std::shared_ptr<meshorch::sim::World> world;  // null for real backends
    std::unique_ptr<meshorch::Orchestrator> engine;

    std::mutex subscriptions_mutex;
    meshorch_subscription_id next_subscription = 1;
    std::map<meshorch_subscription_id, std::shared_ptr<meshorch_capi_subscription>> subscriptions;
};

struct meshorch_operation {
    meshorch::Operation op;
};

// A step of the engine's, handed to the caller's `post` executor.
struct meshorch_task {
    std::function<void()> run;
};
