// Internal: the watch stream (one JSON WatchEvent per line) and its pieces.
#pragma once

#include <meshorch/error.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

enum class WatchEventType { added, modified, deleted, bookmark, error };

struct WatchEvent {
    WatchEventType type = WatchEventType::added;
    // The object; for ERROR a Status (see status_code), for BOOKMARK an object that carries
    // only metadata.resourceVersion.
    boost::json::object object;
};

// One line of a watch stream. Errc::backend saying what is wrong for anything else.
Result<WatchEvent> parse_watch_event(std::string_view line);

// metadata.resourceVersion, "" when absent.
std::string resource_version(const boost::json::object& object);

// The `code` of a Status object (an ERROR event's object), 0 when absent. 410 means the
// resourceVersion the watch started from is too old (compacted): list again.
int status_code(const boost::json::object& status);

// Cuts a body that arrives in arbitrary pieces into lines ('\n', a trailing '\r' dropped, empty
// lines skipped). A line longer than `max_line` is an error (the stream is not a watch).
class LineSplitter {
public:
    explicit LineSplitter(std::size_t max_line = 16u << 20) : max_line_(max_line) {}
    // Calls `on_line` for each complete line; stops and returns false when it returns false.
    // Errc::backend when a line grows beyond max_line.
    Result<bool> feed(std::string_view data, const std::function<bool(std::string_view)>& on_line);
    bool has_partial_line() const noexcept { return !partial_.empty(); }

private:
    std::size_t max_line_;
    std::string partial_;
};

}  // namespace meshorch::kubernetes::detail
