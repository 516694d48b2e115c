// The HTTP client over TLS: verification on by default, clear errors when it fails, SNI,
// mutual TLS, the explicit insecure mode, and bad TLS material.
#include "http_support.hpp"

#include <fstream>
#include <sstream>

namespace meshorch::http::test {
namespace {

Response who(const ServerRequest& r) {
    return reply(200, "sni=" + r.server_name + " client=" + r.client_certificate_subject);
}

ClientOptions trusting(const std::string& ca = "ca.pem") {
    ClientOptions o;
    o.tls.ca_file = pki(ca);
    return o;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string https(const Server& s, const std::string& host = "127.0.0.1") {
    return "https://" + host + ":" + std::to_string(s.port()) + "/";
}

TEST(HttpTls, RoundTripWithTheRightCaVerifiesTheIpAddress) {
    auto server = start_server(tls_server(), who);
    auto client = make_client(trusting());
    auto got = client->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 200);
    EXPECT_EQ(got->body, "sni= client=");  // no SNI for an IP address
    auto post = client->send({"POST", https(*server), {}, "x", false}, within(5s));
    ASSERT_TRUE(post.ok()) << post.error().message;
    EXPECT_EQ(server->connections_accepted(), 1u);  // keep-alive over TLS too
}

TEST(HttpTls, TheCaMayComeAsAPemString) {
    auto server = start_server(tls_server(), who);
    ClientOptions o;
    o.tls.ca_pem = read_text(pki("ca.pem"));
    auto got = make_client(o)->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
}

TEST(HttpTls, AHostNameIsSentAsSniAndVerified) {
    auto server = start_server(tls_server(), who);
    auto got = make_client(trusting())
                   ->send({"GET", https(*server, "localhost"), {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->body, "sni=localhost client=");
}

TEST(HttpTls, TheServerNameOptionOverridesSniAndVerification) {
    auto server = start_server(tls_server("wrong-host"), who);
    ClientOptions o = trusting();
    o.tls.server_name = "wrong.example.invalid";
    auto got = make_client(o)->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->body, "sni=wrong.example.invalid client=");
}

TEST(HttpTls, ATlsConnectionTheServerClosedWhileIdleIsRetriedOnANewOne) {
    ServerOptions so = tls_server();
    so.read_timeout = 150ms;
    auto server = start_server(so, who);
    auto client = make_client(trusting());
    ASSERT_TRUE(client->send({"GET", https(*server), {}, "", false}, within(5s)).ok());
    std::this_thread::sleep_for(400ms);
    auto again = client->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(server->connections_accepted(), 2u);
}

TEST(HttpTls, AnUnknownCaFailsWithAClearBackendError) {
    auto server = start_server(tls_server(), who);
    auto got = make_client(trusting("other-ca.pem"))
                   ->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::backend);
    const auto& m = got.error().message;
    EXPECT_NE(m.find("TLS handshake with 127.0.0.1:" + std::to_string(server->port()) +
                     " failed: certificate verify failed"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("unable to get local issuer certificate"), std::string::npos) << m;
}

TEST(HttpTls, AWrongHostNameFailsNamingTheName) {
    auto server = start_server(tls_server("wrong-host"), who);
    auto client = make_client(trusting());
    auto by_ip = client->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_FALSE(by_ip.ok());
    EXPECT_EQ(by_ip.error().code, Errc::backend);
    EXPECT_NE(by_ip.error().message.find("mismatch"), std::string::npos) << by_ip.error().message;
    EXPECT_NE(by_ip.error().message.find("\"127.0.0.1\""), std::string::npos)
        << by_ip.error().message;
    auto by_name = client->send({"GET", https(*server, "localhost"), {}, "", false}, within(5s));
    ASSERT_FALSE(by_name.ok());
    EXPECT_EQ(by_name.error().code, Errc::backend);
    EXPECT_NE(by_name.error().message.find("hostname mismatch"), std::string::npos)
        << by_name.error().message;
    EXPECT_NE(by_name.error().message.find("\"localhost\""), std::string::npos);
}

TEST(HttpTls, VerificationOffIsExplicitAndWarnsOncePerClient) {
    LogCapture log("http-insecure-test");
    auto server = start_server(tls_server("wrong-host"), who);
    ClientOptions o;
    o.logger = "http-insecure-test";
    o.tls.verify_peer = false;
    auto client = make_client(o);
    for (int i = 0; i < 3; ++i) {
        auto got = client->send({"GET", https(*server), {}, "", false}, within(5s));
        ASSERT_TRUE(got.ok()) << got.error().message;
    }
    const std::string text = log.text();
    const auto first = text.find("verification is OFF");
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_EQ(text.find("verification is OFF", first + 1), std::string::npos) << text;
    EXPECT_NE(text.find("[warning]"), std::string::npos) << text;
}

TEST(HttpTls, MutualTlsNeedsTheClientCertificate) {
    ServerTlsOptions tls = server_tls();
    tls.client_ca_file = pki("ca.pem");
    auto server = start_server(server_options([&](ServerOptions& o) { o.tls = tls; }), who);

    auto without =
        make_client(trusting())->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_FALSE(without.ok());
    EXPECT_EQ(without.error().code, Errc::backend) << without.error().message;
    EXPECT_NE(without.error().message.find("certificate required"), std::string::npos)
        << without.error().message;

    ClientOptions o = trusting();
    o.tls.client_certificate_file = pki("client.pem");
    o.tls.client_key_file = pki("client-key.pem");
    auto with = make_client(o)->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(with.ok()) << with.error().message;
    EXPECT_EQ(with->body, "sni= client=/O=system:masters/CN=meshorch-test");

    ClientOptions pem = trusting();
    pem.tls.client_certificate_pem = read_text(pki("client.pem"));
    pem.tls.client_key_pem = read_text(pki("client-key.pem"));
    auto with_pem = make_client(pem)->send({"GET", https(*server), {}, "", false}, within(5s));
    ASSERT_TRUE(with_pem.ok()) << with_pem.error().message;
}

TEST(HttpTls, PlainHttpToATlsServerFailsWithoutHanging) {
    auto server = start_server(tls_server(), who);
    auto got = make_client()->send(
        {"GET", "http://127.0.0.1:" + std::to_string(server->port()) + "/", {}, "", false},
        within(5s));
    EXPECT_FALSE(got.ok());
}

TEST(HttpTls, BadTlsMaterialIsRefusedAtCreateNamingTheFile) {
    ClientOptions missing;
    missing.tls.ca_file = pki("no-such-ca.pem");
    auto a = Client::create(missing);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error().code, Errc::invalid_argument);
    EXPECT_NE(a.error().message.find("no-such-ca.pem"), std::string::npos) << a.error().message;

    ClientOptions not_pem;
    not_pem.tls.ca_file = std::string(MESHORCH_SOURCE_DIR) + "/tests/emulators/pki.py";
    auto b = Client::create(not_pem);
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().code, Errc::invalid_argument);
    EXPECT_NE(b.error().message.find("pki.py"), std::string::npos) << b.error().message;

    ClientOptions mismatched;
    mismatched.tls.client_certificate_file = pki("client.pem");
    mismatched.tls.client_key_file = pki("server-key.pem");
    auto c = Client::create(mismatched);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Errc::invalid_argument);
    EXPECT_NE(c.error().message.find("server-key.pem"), std::string::npos) << c.error().message;

    ClientOptions half;
    half.tls.client_certificate_file = pki("client.pem");
    EXPECT_EQ(Client::create(half).error().code, Errc::invalid_argument);

    auto s =
        Server::start(server_options([&](ServerOptions& o) {
                          o.tls = ServerTlsOptions{pki("nothing.pem"), pki("server-key.pem"), ""};
                      }),
                      who);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("nothing.pem"), std::string::npos) << s.error().message;
}

}  // namespace
}  // namespace meshorch::http::test
