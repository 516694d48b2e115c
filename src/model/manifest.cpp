#include <meshorch/manifest.hpp>

#include <atomic>

namespace meshorch {

namespace {

// Whether `doc` is held by this holder alone, and so may be changed. use_count() is a relaxed
// load: the fence orders this holder's writes after the reads of holders that have just let go
// (their release of the count), as for any sole owner taking over.
bool held_alone(const std::shared_ptr<boost::json::object>& doc) {
    if (doc.use_count() != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
}

}  // namespace

boost::json::object& Manifest::edit() {
    if (!doc_) {
        doc_ = std::make_shared<boost::json::object>();
    } else if (!held_alone(doc_)) {
        // Shared: the other holders keep the document as it is.
        doc_ = std::make_shared<boost::json::object>(*doc_);
    }
    return *doc_;
}

boost::json::object Manifest::take() && {
    auto doc = std::move(doc_);
    if (!doc) return {};
    if (!held_alone(doc)) return *doc;
    return std::move(*doc);
}

const boost::json::object& Manifest::empty_document() noexcept {
    static const boost::json::object none;
    return none;
}

}  // namespace meshorch
