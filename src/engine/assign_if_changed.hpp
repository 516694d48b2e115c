// Internal: an assignment that compares first. Reading both is cheaper than rewriting one when
// the value is usually unchanged (a record saved again and again, most of it as it was).
#pragma once

namespace meshorch::engine {

template <class T>
void assign_if_changed(T& kept, const T& wanted) {
    if (!(kept == wanted)) kept = wanted;
}

}  // namespace meshorch::engine
