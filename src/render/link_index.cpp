// The links of a spec grouped by microservice, so the per-microservice objects read only their
// own links instead of scanning every link of the service (quadratic on large services).
#include "render/detail.hpp"

namespace meshorch::render_detail {

LinkIndex::LinkIndex(const ServiceSpec& spec) {
    by_name_.reserve(spec.microservices.size());
    for (const auto& link : spec.links) {
        by_name_[link.to].inbound.push_back(&link);
        by_name_[link.from].outbound.push_back(&link);
    }
}

const MicroserviceLinks& LinkIndex::of(const std::string& microservice) const {
    const auto it = by_name_.find(microservice);
    return it == by_name_.end() ? none_ : it->second;
}

}  // namespace meshorch::render_detail
