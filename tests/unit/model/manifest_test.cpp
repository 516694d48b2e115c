// Manifest: copies share one document; a change copies it first when it is shared.
#include <meshorch/object.hpp>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <thread>
#include <vector>

namespace meshorch {
namespace {

namespace json = boost::json;

json::object service(const std::string& name) {
    return json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                       R"(","namespace":"shop"},"spec":{"ports":[{"port":9080}]}})")
        .as_object();
}

TEST(Manifest, ADefaultManifestIsAnEmptyObject) {
    const Manifest m;
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.size(), 0u);
    EXPECT_EQ(m.get(), json::object());
    EXPECT_EQ(m.if_contains("kind"), nullptr);
    EXPECT_FALSE(m.shares_document_with(Manifest()));
}

TEST(Manifest, ReadsLikeItsDocument) {
    const Manifest m = service("cart");
    EXPECT_EQ(m.at("kind").as_string(), "Service");
    EXPECT_TRUE(m.contains("spec"));
    EXPECT_EQ(m->at("metadata").at("name").as_string(), "cart");
    EXPECT_EQ(m.size(), 4u);
    EXPECT_EQ(std::distance(m.begin(), m.end()), 4);
    EXPECT_EQ(key_of(m).to_string(), "Service shop/cart");
}

TEST(Manifest, ACopySharesTheDocument) {
    const Object a = make_object(service("cart"));
    const Object b = a;  // NOLINT(performance-unnecessary-copy-initialization): the point
    EXPECT_TRUE(a.manifest.shares_document_with(b.manifest));
    EXPECT_EQ(&a.manifest.get(), &b.manifest.get());
    EXPECT_EQ(a, b);
}

TEST(Manifest, EditingASharedManifestLeavesTheOtherCopiesAsTheyWere) {
    Object a = make_object(service("cart"));
    const Object b = a;
    a.manifest.edit()["spec"].as_object()["ports"].as_array()[0].as_object()["port"] = 80;
    EXPECT_FALSE(a.manifest.shares_document_with(b.manifest));
    EXPECT_EQ(b.manifest.at("spec").at("ports").at(0).at("port").as_int64(), 9080);
    EXPECT_EQ(a.manifest.at("spec").at("ports").at(0).at("port").as_int64(), 80);
    EXPECT_NE(a, b);
}

TEST(Manifest, EditingAnUnsharedManifestChangesItInPlace) {
    Manifest m = service("cart");
    const json::object* before = &m.get();
    m.edit()["kind"] = "Endpoints";
    EXPECT_EQ(&m.get(), before);
    EXPECT_EQ(m.at("kind").as_string(), "Endpoints");

    Manifest none;
    none.edit()["kind"] = "Namespace";  // an empty manifest gets a document of its own
    EXPECT_EQ(none.at("kind").as_string(), "Namespace");
}

TEST(Manifest, TakeMovesTheDocumentOutWhenUnsharedAndCopiesItWhenShared) {
    Manifest alone = service("cart");
    const json::value* spec = alone.if_contains("spec");
    json::object moved = std::move(alone).take();
    EXPECT_EQ(moved.if_contains("spec"), spec);  // the same nodes: moved, not copied
    EXPECT_TRUE(alone.empty());                  // NOLINT(bugprone-use-after-move): defined

    Manifest shared = service("cart");
    const Manifest other = shared;
    json::object copied = std::move(shared).take();
    EXPECT_NE(copied.if_contains("spec"), other.if_contains("spec"));
    EXPECT_EQ(copied, other.get());
    EXPECT_EQ(other.at("metadata").at("name").as_string(), "cart");
}

TEST(Manifest, EqualDocumentsAreEqualWhetherSharedOrNot) {
    const Manifest a = service("cart");
    const Manifest b = service("cart");
    EXPECT_FALSE(a.shares_document_with(b));
    EXPECT_EQ(a, b);
    EXPECT_NE(a, Manifest(service("shipping")));
    EXPECT_EQ(Manifest(), Manifest(json::object()));
}

// Copies handed to other threads are read and dropped there while this thread edits its own:
// the edit must not show through.
TEST(Manifest, CopiesOnOtherThreadsKeepTheirDocument) {
    Manifest mine = service("cart");
    std::vector<std::thread> readers;
    std::vector<int> seen(4, 0);
    for (std::size_t t = 0; t < seen.size(); ++t) {
        readers.emplace_back([copy = mine, &slot = seen[t]] {
            for (int i = 0; i < 1000; ++i) {
                const Manifest again = copy;
                slot += again.at("spec").at("ports").at(0).at("port").as_int64() == 9080 ? 1 : 0;
            }
        });
    }
    for (int i = 0; i < 100; ++i) mine.edit()["spec"].as_object()["ports"] = json::array{};
    for (auto& r : readers) r.join();
    for (int s : seen) EXPECT_EQ(s, 1000);
    EXPECT_TRUE(mine.at("spec").at("ports").as_array().empty());
}

}  // namespace
}  // namespace meshorch
