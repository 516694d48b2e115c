#include <meshorch/manifest.hpp>

namespace meshorch {

boost::json::object& Manifest::edit() {
    if (!doc_) {
        doc_ = std::make_shared<boost::json::object>();
    } else if (doc_.use_count() > 1) {
        // Shared: the other holders keep the document as it is.
        doc_ = std::make_shared<boost::json::object>(*doc_);
    }
    return *doc_;
}

boost::json::object Manifest::take() && {
    auto doc = std::move(doc_);
    if (!doc) return {};
    if (doc.use_count() > 1) return *doc;
    return std::move(*doc);
}

const boost::json::object& Manifest::empty_document() noexcept {
    static const boost::json::object none;
    return none;
}

}  // namespace meshorch
