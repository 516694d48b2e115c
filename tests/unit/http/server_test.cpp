// The embeddable server: keep-alive, the body limit, slow clients, timeouts and graceful stop.
#include "http_support.hpp"

#include <future>

namespace meshorch::http::test {
namespace {

// A raw client connection to the server, for clients that misbehave on purpose.
int raw_connect(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(HttpServer, HandsTheRequestToTheHandler) {
    ServerRequest seen;
    auto server = start_server({}, [&](const ServerRequest& r) {
        seen = r;
        Response res = reply(202, "accepted");
        res.headers.push_back({"Location", "/ops/1"});
        return res;
    });
    EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()));
    auto got = make_client()->send(
        {"POST", server->url() + "/notify?x=1", {{"X-Kind", "lcm"}}, "{}", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 202);
    EXPECT_EQ(got->header("location"), "/ops/1");
    EXPECT_EQ(seen.method, "POST");
    EXPECT_EQ(seen.target, "/notify?x=1");
    EXPECT_EQ(seen.header("x-kind"), "lcm");
    EXPECT_EQ(seen.body, "{}");
    EXPECT_EQ(seen.peer.rfind("127.0.0.1:", 0), 0u) << seen.peer;
}

TEST(HttpServer, AHandlerThatThrowsAnswers500) {
    auto server = start_server(
        {}, [](const ServerRequest&) -> Response { throw std::runtime_error("boom"); });
    auto got = make_client()->send({"GET", server->url() + "/", {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 500);
}

TEST(HttpServer, ABodyOverTheLimitIsAnswered413) {
    std::atomic<int> handled{0};
    auto server = start_server(server_options([&](ServerOptions& o) { o.max_body_bytes = 1024; }),
                               [&](const ServerRequest&) {
                                   ++handled;
                                   return reply(200, "ok");
                               });
    auto client = make_client();
    auto big = client->send({"POST", server->url() + "/", {}, std::string(200000, 'b'), false},
                            within(5s));
    ASSERT_TRUE(big.ok()) << big.error().message;
    EXPECT_EQ(big->status, 413);
    EXPECT_EQ(handled, 0);
    auto small =
        client->send({"POST", server->url() + "/", {}, std::string(1000, 's'), false}, within(5s));
    ASSERT_TRUE(small.ok()) << small.error().message;
    EXPECT_EQ(small->status, 200);
}

TEST(HttpServer, ASlowClientDoesNotHoldUpAnother) {
    auto server = start_server(server_options([&](ServerOptions& o) {
                                   o.read_timeout = 5000ms;
                                   o.threads = 1;
                               }),
                               [](const ServerRequest&) { return reply(200, "ok"); });
    const int slow = raw_connect(server->port());
    ASSERT_GE(slow, 0);
    ASSERT_TRUE(write_all(slow, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
    const auto start = Clock::now();
    auto got = make_client()->send({"GET", server->url() + "/", {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_LT(ms_since(start), 1000);
    ::close(slow);
}

TEST(HttpServer, AClientThatStallsMidRequestIsDisconnectedAfterTheReadTimeout) {
    auto server = start_server(server_options([&](ServerOptions& o) { o.read_timeout = 200ms; }),
                               [](const ServerRequest&) { return reply(200, "ok"); });
    const int slow = raw_connect(server->port());
    ASSERT_GE(slow, 0);
    ASSERT_TRUE(write_all(slow, "GET / HTTP/1.1\r\nHost: x\r\n"));  // headers never end
    const auto start = Clock::now();
    char c;
    EXPECT_EQ(::recv(slow, &c, 1, 0), 0);  // the server hangs up
    EXPECT_GE(ms_since(start), 150);
    EXPECT_LT(ms_since(start), 2000);
    ::close(slow);
}

TEST(HttpServer, GracefulStopFinishesTheRequestInFlightAndRefusesNewOnes) {
    std::promise<void> in_handler;
    auto server = start_server({}, [&](const ServerRequest&) {
        in_handler.set_value();
        std::this_thread::sleep_for(300ms);
        return reply(200, "finished");
    });
    const auto url = server->url() + "/";
    auto client = make_client();
    auto in_flight = std::async(std::launch::async, [&] {
        return client->send({"GET", url, {}, "", false}, within(5s));
    });
    in_handler.get_future().wait();
    const int idle = raw_connect(server->port());  // an idle keep-alive connection
    ASSERT_GE(idle, 0);
    const auto start = Clock::now();
    server->stop();
    EXPECT_LT(ms_since(start), 2000);
    auto got = in_flight.get();
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->body, "finished");
    EXPECT_EQ(got->header("Connection"), "close");
    char c;
    EXPECT_LE(::recv(idle, &c, 1, 0), 0);  // closed (or reset, if never accepted) by the stop
    ::close(idle);
    EXPECT_LT(raw_connect(server->port()), 0);
    EXPECT_EQ(server->open_connections(), 0u);
}

TEST(HttpServer, AnAddressInUseIsAnIoError) {
    auto first = start_server({}, [](const ServerRequest&) { return reply(200, ""); });
    auto second = Server::start(server_options([&](ServerOptions& o) { o.port = first->port(); }),
                                [](const ServerRequest&) { return reply(200, ""); });
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, Errc::io);
    EXPECT_NE(second.error().message.find(std::to_string(first->port())), std::string::npos);
}

}  // namespace
}  // namespace meshorch::http::test
