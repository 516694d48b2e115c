// The API over TLS, and mutual TLS.
#include "api_support.hpp"

namespace meshorch::api::test {
namespace {

ApiServerOptions tls_options(bool mutual) {
    ApiServerOptions o = default_api_options();
    o.tls = ApiTlsOptions{pki("server.pem"), pki("server-key.pem"),
                          mutual ? pki("ca.pem") : std::string()};
    return o;
}

http::ClientOptions client_trusting_ca(bool with_certificate) {
    http::ClientOptions o;
    o.tls.ca_file = pki("ca.pem");
    if (with_certificate) {
        o.tls.client_certificate_file = pki("client.pem");
        o.tls.client_key_file = pki("client-key.pem");
    }
    return o;
}

TEST(ApiTls, ServesOverTls) {
    ApiHarness h(tls_options(false), fast_sim(), client_trusting_ca(false));
    ASSERT_EQ(h.server->url().rfind("https://127.0.0.1:", 0), 0u) << h.server->url();
    auto r = h.call("GET", "/v1/services");
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST(ApiTls, AClientThatDoesNotTrustTheServerFails) {
    ApiHarness h(tls_options(false), fast_sim(), client_trusting_ca(false));
    http::ClientOptions other;
    other.tls.ca_file = pki("other-ca.pem");
    auto client = *http::Client::create(other);
    auto r = client->send({"GET", h.server->url() + "/healthz", {}, "", false}, within(5s));
    ASSERT_FALSE(r.ok());
}

TEST(ApiTls, MutualTlsAdmitsAClientWithACertificate) {
    ApiHarness h(tls_options(true), fast_sim(), client_trusting_ca(true));
    auto r = h.call("GET", "/v1/services");
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST(ApiTls, MutualTlsRefusesAClientWithoutACertificate) {
    ApiHarness h(tls_options(true), fast_sim(), client_trusting_ca(true));
    auto client = *http::Client::create(client_trusting_ca(false));
    auto r = client->send({"GET", h.server->url() + "/healthz", {}, "", false}, within(5s));
    EXPECT_FALSE(r.ok()) << "answered " << (r.ok() ? r->status : 0);
}

TEST(ApiTls, BadTlsMaterialIsRefusedAtStart) {
    auto world = sim::World::create(fast_sim());
    Orchestrator orchestrator(world->backends(), fast_orchestrator());
    ApiServerOptions o = default_api_options();
    o.tls = ApiTlsOptions{pki("no-such.pem"), pki("server-key.pem"), ""};
    auto started = ApiServer::start(orchestrator, o);
    ASSERT_FALSE(started.ok());
    EXPECT_EQ(started.error().code, Errc::invalid_argument);
    EXPECT_NE(started.error().message.find("no-such.pem"), std::string::npos)
        << started.error().message;
}

}  // namespace
}  // namespace meshorch::api::test
