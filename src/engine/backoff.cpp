#include "engine/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

namespace meshorch::engine {

std::chrono::milliseconds backoff_delay(const BackoffPolicy& b, int attempt) {
    double ms = static_cast<double>(std::max<std::int64_t>(b.initial.count(), 1));
    const double cap = static_cast<double>(std::max(b.max, b.initial).count());
    for (int i = 1; i < attempt && ms < cap; ++i) ms *= std::max(b.multiplier, 1.0);
    ms = std::min(ms, cap);
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms * jitter(rng))));
}

}  // namespace meshorch::engine
