// Operations: start them, wait for them, ask how they went.
#include "internal.hpp"

#include <meshorch/spec.hpp>

#include <chrono>

namespace meshorch::capi {
namespace {

using Start = Result<Operation> (Orchestrator::*)(const ServiceSpec&);

int start_with_spec(const char* function, meshorch_operation** out, meshorch_orchestrator* orch,
                    const char* spec_text, Start start) {
    if (out == nullptr) return null_argument(function, "out");
    *out = nullptr;
    if (orch == nullptr) return null_argument(function, "orch");
    if (spec_text == nullptr) return null_argument(function, "spec_text");
    auto spec = load_spec(spec_text);
    if (!spec) return fail(spec.error());
    auto handle = std::make_unique<meshorch_operation>();
    auto op = ((*orch->engine).*start)(*spec);
    if (!op) return fail(op.error());
    handle->op = std::move(*op);
    *out = handle.release();
    return succeed();
}

bool usable(const meshorch_operation* op) {
    return op != nullptr && op->op.valid();
}

}  // namespace
}  // namespace meshorch::capi

using namespace meshorch::capi;

extern "C" {

MESHORCH_API int meshorch_deploy(meshorch_operation** out, meshorch_orchestrator* orch,
                                 const char* spec_text) {
    return guarded([&] {
        return start_with_spec("meshorch_deploy", out, orch, spec_text,
                               &meshorch::Orchestrator::deploy);
    });
}

MESHORCH_API int meshorch_reconfigure(meshorch_operation** out, meshorch_orchestrator* orch,
                                      const char* spec_text) {
    return guarded([&] {
        return start_with_spec("meshorch_reconfigure", out, orch, spec_text,
                               &meshorch::Orchestrator::reconfigure);
    });
}

MESHORCH_API int meshorch_terminate(meshorch_operation** out, meshorch_orchestrator* orch,
                                    const char* service) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_terminate", "out");
        *out = nullptr;
        if (orch == nullptr) return null_argument("meshorch_terminate", "orch");
        if (service == nullptr) return null_argument("meshorch_terminate", "service");
        auto handle = std::make_unique<meshorch_operation>();
        auto op = orch->engine->terminate(service);
        if (!op) return fail(op.error());
        handle->op = std::move(*op);
        *out = handle.release();
        return succeed();
    });
}

MESHORCH_API int meshorch_operation_get(meshorch_operation** out, meshorch_orchestrator* orch,
                                        const char* operation_id) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_operation_get", "out");
        *out = nullptr;
        if (orch == nullptr) return null_argument("meshorch_operation_get", "orch");
        if (operation_id == nullptr) {
            return null_argument("meshorch_operation_get", "operation_id");
        }
        auto handle = std::make_unique<meshorch_operation>();
        auto op = orch->engine->operation(operation_id);
        if (!op) {
            return fail(MESHORCH_E_NOT_FOUND, std::string("no operation \"") + operation_id + "\"");
        }
        handle->op = std::move(*op);
        *out = handle.release();
        return succeed();
    });
}

MESHORCH_API int meshorch_operation_wait(meshorch_operation* op, int64_t timeout_ms) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_wait", "op");
        if (timeout_ms < 0) {
            op->op.wait();
            return succeed();
        }
        if (op->op.wait_for(std::chrono::milliseconds(timeout_ms))) return succeed();
        return fail(MESHORCH_E_TIMEOUT, "operation " + op->op.id() + " still " +
                                            meshorch::to_string(op->op.state()) + " after " +
                                            std::to_string(timeout_ms) + " ms");
    });
}

MESHORCH_API int meshorch_operation_state(const meshorch_operation* op) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_state", "op");
        const int state = static_cast<int>(op->op.state());
        succeed();
        return state;
    });
}

MESHORCH_API int meshorch_operation_kind(const meshorch_operation* op) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_kind", "op");
        const int kind = static_cast<int>(op->op.kind());
        succeed();
        return kind;
    });
}

MESHORCH_API int meshorch_operation_result(const meshorch_operation* op) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_result", "op");
        const meshorch::Status result = op->op.result();
        if (result) return succeed();
        return fail(result.error());
    });
}

MESHORCH_API int meshorch_operation_cancel(meshorch_operation* op) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_cancel", "op");
        op->op.cancel();
        return succeed();
    });
}

MESHORCH_API const char* meshorch_operation_id(const meshorch_operation* op) {
    if (!usable(op)) return nullptr;
    try {
        return op->op.id().c_str();
    } catch (...) {
        return nullptr;
    }
}

MESHORCH_API const char* meshorch_operation_service(const meshorch_operation* op) {
    if (!usable(op)) return nullptr;
    try {
        return op->op.service().c_str();
    } catch (...) {
        return nullptr;
    }
}

MESHORCH_API int meshorch_operation_on_done(meshorch_operation* op, meshorch_operation_cb cb,
                                            void* payload) {
    return guarded([&] {
        if (!usable(op)) return null_argument("meshorch_operation_on_done", "op");
        if (cb == nullptr) return null_argument("meshorch_operation_on_done", "cb");
        op->op.on_done([cb, payload](const meshorch::Operation& done) {
            try {
                const meshorch_operation borrowed{done};
                cb(&borrowed, payload);
            } catch (...) {
                // Nothing may escape into the engine's thread.
            }
        });
        return succeed();
    });
}

MESHORCH_API void meshorch_operation_destroy(meshorch_operation* op) {
    delete op;
}

}  // extern "C"
