#include "migration.hpp"

#include <algorithm>

namespace meshorch::cli {

namespace {

Microservice* find_mutable(ServiceSpec& spec, const std::string& name) {
    auto it = std::find_if(spec.microservices.begin(), spec.microservices.end(),
                           [&](const Microservice& m) { return m.name == name; });
    return it == spec.microservices.end() ? nullptr : &*it;
}

WeightedVersion* find_share(Route& route, const std::string& version) {
    auto it = std::find_if(route.split.begin(), route.split.end(),
                           [&](const WeightedVersion& w) { return w.version == version; });
    return it == route.split.end() ? nullptr : &*it;
}

}  // namespace

Result<ServiceSpec> shift_weight(ServiceSpec spec, const std::string& microservice,
                                 const std::string& from, const std::string& to, int from_percent) {
    const Microservice* ms = find_mutable(spec, microservice);
    if (!ms) return make_error(Errc::invalid_argument, "no microservice \"" + microservice + "\"");
    if (!ms->find_version(from) || !ms->find_version(to)) {
        return make_error(Errc::invalid_argument, "microservice \"" + microservice +
                                                      "\" needs versions \"" + from + "\" and \"" +
                                                      to + "\"");
    }
    if (from_percent < 0 || from_percent > 100) {
        return make_error(Errc::invalid_argument, "a share is a percentage from 0 to 100");
    }
    int shifted_routes = 0;
    for (auto& link : spec.links) {
        if (link.to != microservice) continue;
        for (auto& route : link.routes) {
            WeightedVersion* a = find_share(route, from);
            WeightedVersion* b = find_share(route, to);
            if (!a && !b) continue;
            if (!a) a = &route.split.emplace_back(WeightedVersion{from, 0});
            if (!b) {
                b = &route.split.emplace_back(WeightedVersion{to, 0});
                a = find_share(route, from);  // emplace_back may have moved it
            }
            const int total = a->weight + b->weight;
            a->weight = total * from_percent / 100;
            b->weight = total - a->weight;
            ++shifted_routes;
        }
    }
    if (shifted_routes == 0) {
        return make_error(Errc::invalid_argument, "no route into \"" + microservice +
                                                      "\" splits traffic over \"" + from +
                                                      "\" or \"" + to + "\"");
    }
    return spec;
}

Result<ServiceSpec> remove_version(ServiceSpec spec, const std::string& microservice,
                                   const std::string& version) {
    Microservice* ms = find_mutable(spec, microservice);
    if (!ms || !ms->find_version(version)) {
        return make_error(Errc::invalid_argument,
                          "no version \"" + version + "\" of \"" + microservice + "\"");
    }
    for (auto& link : spec.links) {
        if (link.to != microservice) continue;
        for (auto& route : link.routes) {
            if (const WeightedVersion* share = find_share(route, version); share && share->weight) {
                return make_error(Errc::invalid_argument,
                                  "version \"" + version + "\" still receives " +
                                      std::to_string(share->weight) + "% from " + link.from);
            }
            std::erase_if(route.split,
                          [&](const WeightedVersion& w) { return w.version == version; });
        }
        if (link.mirror && link.mirror->version == version) link.mirror.reset();
    }
    std::erase_if(ms->versions, [&](const Version& v) { return v.name == version; });
    return spec;
}

}  // namespace meshorch::cli
