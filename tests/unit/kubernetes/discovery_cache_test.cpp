// The discovery cache: one request per group version, one refresh when a kind is missing (a CRD
// installed since), and a clear error when the server does not serve the kind at all.
#include "http/server.hpp"
#include "kubernetes/api_client.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace meshorch::kubernetes::test {
namespace {

class DiscoveryServer {
public:
    DiscoveryServer() {
        auto s = http::Server::start({}, [this](const http::ServerRequest& r) {
            ++requests;
            http::Response out;
            out.headers.push_back({"Content-Type", "application/json"});
            if (r.target != "/apis/example.com/v1") {
                out.status = 404;
                out.body = R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404})";
                return out;
            }
            out.status = 200;
            out.body = R"({"kind":"APIResourceList","groupVersion":"example.com/v1","resources":[)"
                       R"({"name":"gadgets","namespaced":true,"kind":"Gadget"})";
            if (widget_installed) {
                out.body += R"(,{"name":"widgets","namespaced":false,"kind":"Widget"})";
            }
            out.body += "]}";
            return out;
        });
        server = std::move(s).value();
    }

    std::unique_ptr<http::Server> server;
    std::atomic<int> requests{0};
    std::atomic<bool> widget_installed{false};
};

std::shared_ptr<detail::ApiClient> client_for(const DiscoveryServer& s) {
    Config c;
    c.server = s.server->url();
    return detail::ApiClient::create(c).value();
}

TEST(DiscoveryCache, AsksOncePerGroupVersion) {
    DiscoveryServer s;
    auto api = client_for(s);
    auto gadget = api->resource("example.com/v1", "Gadget", {});
    ASSERT_TRUE(gadget.ok()) << gadget.error().message;
    EXPECT_EQ(gadget->group_version_path, "/apis/example.com/v1");
    EXPECT_EQ(gadget->info, (detail::ResourceInfo{"gadgets", true}));
    ASSERT_TRUE(api->resource("example.com/v1", "Gadget", {}).ok());
    EXPECT_EQ(s.requests, 1);
}

TEST(DiscoveryCache, AMissingKindRefreshesOnceThenIsFoundWhenInstalled) {
    DiscoveryServer s;
    auto api = client_for(s);
    ASSERT_TRUE(api->resource("example.com/v1", "Gadget", {}).ok());
    auto missing = api->resource("example.com/v1", "Widget", {});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_EQ(missing.error().message, "the server has no resource for example.com/v1 Widget");
    EXPECT_EQ(s.requests, 2);  // the miss asked again, once

    s.widget_installed = true;  // the CRD arrives
    auto widget = api->resource("example.com/v1", "Widget", {});
    ASSERT_TRUE(widget.ok()) << widget.error().message;
    EXPECT_EQ(widget->info, (detail::ResourceInfo{"widgets", false}));
    EXPECT_EQ(s.requests, 3);
}

TEST(DiscoveryCache, AGroupTheServerDoesNotServe) {
    DiscoveryServer s;
    auto api = client_for(s);
    auto r = api->resource("nothing.io/v1", "Thing", {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message, "the server has no resource for nothing.io/v1 Thing");
    auto bad = api->resource("a/b/c", "Thing", {});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace meshorch::kubernetes::test
