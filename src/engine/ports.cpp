#include <meshorch/ports.hpp>

namespace meshorch {

const char* to_string(LcmState state) noexcept {
    switch (state) {
        case LcmState::starting: return "STARTING";
        case LcmState::processing: return "PROCESSING";
        case LcmState::completed: return "COMPLETED";
        case LcmState::failed_temp: return "FAILED_TEMP";
        case LcmState::failed: return "FAILED";
        case LcmState::rolling_back: return "ROLLING_BACK";
        case LcmState::rolled_back: return "ROLLED_BACK";
    }
    return "UNKNOWN";
}

}  // namespace meshorch
