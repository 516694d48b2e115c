// The watch stream: lines in arbitrary chunks, event types, bookmarks and 410 errors.
#include "kubernetes/watch_event.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshorch::kubernetes::test {
namespace {

using detail::WatchEventType;

TEST(WatchEvent, ParsesEveryType) {
    const std::pair<const char*, WatchEventType> cases[] = {{"ADDED", WatchEventType::added},
                                                            {"MODIFIED", WatchEventType::modified},
                                                            {"DELETED", WatchEventType::deleted},
                                                            {"BOOKMARK", WatchEventType::bookmark},
                                                            {"ERROR", WatchEventType::error}};
    for (const auto& [name, type] : cases) {
        const std::string line = std::string(R"({"type":")") + name +
                                 R"(","object":{"metadata":{"resourceVersion":"42"}}})";
        auto e = detail::parse_watch_event(line);
        ASSERT_TRUE(e.ok()) << name << ": " << e.error().message;
        EXPECT_EQ(e->type, type);
        EXPECT_EQ(detail::resource_version(e->object), "42");
    }
}

TEST(WatchEvent, AnErrorEventCarriesAStatusCode) {
    auto e = detail::parse_watch_event(
        R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure",)"
        R"("message":"too old resource version: 1","reason":"Expired","code":410}})");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->type, WatchEventType::error);
    EXPECT_EQ(detail::status_code(e->object), 410);
    EXPECT_EQ(detail::status_code(boost::json::object{}), 0);
}

TEST(WatchEvent, RejectsWhatIsNotAnEvent) {
    for (const char* bad :
         {"{", "[]", R"({"object":{}})", R"({"type":"ADDED"})", R"({"type":"ADDED","object":3})",
          R"({"type":"RENAMED","object":{}})"}) {
        auto e = detail::parse_watch_event(bad);
        ASSERT_FALSE(e.ok()) << bad;
        EXPECT_EQ(e.error().code, Errc::backend);
    }
}

TEST(WatchEvent, ResourceVersionIsEmptyWhenAbsent) {
    EXPECT_EQ(detail::resource_version(boost::json::object{}), "");
    EXPECT_EQ(detail::resource_version(boost::json::object{{"metadata", 1}}), "");
}

TEST(LineSplitter, ReassemblesLinesAcrossChunks) {
    detail::LineSplitter splitter;
    std::vector<std::string> lines;
    const auto collect = [&](std::string_view l) {
        lines.emplace_back(l);
        return true;
    };
    ASSERT_TRUE(splitter.feed("{\"a\"", collect).ok());
    EXPECT_TRUE(lines.empty());
    EXPECT_TRUE(splitter.has_partial_line());
    ASSERT_TRUE(splitter.feed(":1}\r\n\n{\"b\":2}\n{\"c\"", collect).ok());
    ASSERT_TRUE(splitter.feed(":3}\n", collect).ok());
    EXPECT_EQ(lines, (std::vector<std::string>{R"({"a":1})", R"({"b":2})", R"({"c":3})"}));
    EXPECT_FALSE(splitter.has_partial_line());
}

TEST(LineSplitter, StopsWhenTheHandlerSaysSo) {
    detail::LineSplitter splitter;
    int seen = 0;
    auto r = splitter.feed("a\nb\nc\n", [&](std::string_view) { return ++seen < 2; });
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(*r);
    EXPECT_EQ(seen, 2);
}

TEST(LineSplitter, AnEndlessLineIsAnError) {
    detail::LineSplitter splitter(8);
    auto r = splitter.feed("0123456789", [](std::string_view) { return true; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
}

}  // namespace
}  // namespace meshorch::kubernetes::test
