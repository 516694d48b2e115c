#include "kubernetes/watch_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

Result<WatchEvent> parse_watch_event(std::string_view line) {
    boost::system::error_code ec;
    json::value doc = json::parse(line, ec);
    if (ec) return make_error(Errc::backend, "watch event is not JSON: " + ec.message());
    auto* o = doc.if_object();
    if (!o) return make_error(Errc::backend, "watch event is not a JSON object");
    const auto* type = o->if_contains("type");
    auto* object = o->if_contains("object");
    if (!type || !type->is_string()) {
        return make_error(Errc::backend, "watch event has no \"type\"");
    }
    if (!object || !object->is_object()) {
        return make_error(Errc::backend, "watch event has no \"object\"");
    }
    WatchEvent event;
    const std::string_view t = type->get_string();
    if (t == "ADDED") {
        event.type = WatchEventType::added;
    } else if (t == "MODIFIED") {
        event.type = WatchEventType::modified;
    } else if (t == "DELETED") {
        event.type = WatchEventType::deleted;
    } else if (t == "BOOKMARK") {
        event.type = WatchEventType::bookmark;
    } else if (t == "ERROR") {
        event.type = WatchEventType::error;
    } else {
        return make_error(Errc::backend, "watch event has unknown type \"" + std::string(t) + "\"");
    }
    event.object = std::move(object->get_object());
    return event;
}

std::string resource_version(const json::object& object) {
    const auto* md = object.if_contains("metadata");
    if (!md || !md->is_object()) return {};
    const auto* rv = md->get_object().if_contains("resourceVersion");
    if (!rv || !rv->is_string()) return {};
    return std::string(rv->get_string());
}

int status_code(const json::object& status) {
    const auto* code = status.if_contains("code");
    if (!code || !code->is_number()) return 0;
    boost::system::error_code ec;
    const auto v = code->to_number<int>(ec);
    return ec ? 0 : v;
}

Result<bool> LineSplitter::feed(std::string_view data,
                                const std::function<bool(std::string_view)>& on_line) {
    while (!data.empty()) {
        const auto nl = data.find('\n');
        if (nl == std::string_view::npos) {
            if (partial_.size() + data.size() > max_line_) {
                partial_.clear();
                return make_error(Errc::backend, "watch stream line longer than " +
                                                     std::to_string(max_line_) + " bytes");
            }
            partial_.append(data);
            return true;
        }
        std::string_view line;
        if (partial_.empty()) {
            line = data.substr(0, nl);
        } else {
            partial_.append(data.substr(0, nl));
            line = partial_;
        }
        data.remove_prefix(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        bool go_on = true;
        if (!line.empty()) go_on = on_line(line);
        partial_.clear();
        if (!go_on) return false;
    }
    return true;
}

}  // namespace meshorch::kubernetes::detail
