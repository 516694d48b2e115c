// The HTTP client over plain HTTP: round trips, keep-alive, the pool bound, timeouts,
// cancellation, streaming, and servers that misbehave.
#include "http_support.hpp"

#include <future>

namespace meshorch::http::test {
namespace {

Response echo(const ServerRequest& r) {
    Response res = reply(200, r.method + " " + r.target + " " + r.body);
    res.headers.push_back({"X-Echo-Length", std::to_string(r.body.size())});
    return res;
}

TEST(HttpClient, GetAndPostRoundTripOverPlainHttp) {
    auto server = start_server({}, echo);
    auto client = make_client();
    auto got = client->send({"GET", server->url() + "/a/b?x=1", {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 200);
    EXPECT_EQ(got->body, "GET /a/b?x=1 ");
    Request post{"POST",
                 server->url() + "/items",
                 {{"Content-Type", "application/json"}},
                 R"({"k":"v"})",
                 false};
    auto posted = client->send(post, within(5s));
    ASSERT_TRUE(posted.ok()) << posted.error().message;
    EXPECT_EQ(posted->body, R"(POST /items {"k":"v"})");
    EXPECT_EQ(posted->header("x-echo-length"), "9");
}

TEST(HttpClient, AnErrorStatusIsAResponseNotAnError) {
    auto server = start_server({}, [](const ServerRequest&) { return reply(404, "nope"); });
    auto got = make_client()->send({"DELETE", server->url() + "/x", {}, "", false}, within(5s));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->status, 404);
    EXPECT_EQ(got->body, "nope");
}

TEST(HttpClient, SequentialRequestsReuseOneKeepAliveConnection) {
    auto server = start_server({}, echo);
    auto client = make_client();
    for (int i = 0; i < 50; ++i) {
        auto got = client->send({"GET", server->url() + "/" + std::to_string(i), {}, "", false},
                                within(5s));
        ASSERT_TRUE(got.ok()) << got.error().message;
        ASSERT_EQ(got->body, "GET /" + std::to_string(i) + " ");
    }
    EXPECT_EQ(server->connections_accepted(), 1u);
}

TEST(HttpClient, ConcurrentCallersNeverOpenMoreConnectionsThanTheBound) {
    std::atomic<std::size_t> most_open{0};
    Server* raw = nullptr;
    auto server = start_server(
        server_options([&](ServerOptions& o) { o.threads = 4; }), [&](const ServerRequest& r) {
            const std::size_t open = raw->open_connections();
            std::size_t seen = most_open;
            while (open > seen && !most_open.compare_exchange_weak(seen, open)) {
            }
            std::this_thread::sleep_for(10ms);
            return echo(r);
        });
    raw = server.get();
    ClientOptions o;
    o.max_connections_per_host = 2;
    auto client = make_client(o);
    std::atomic<int> ok{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 8; ++t) {
        callers.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                if (client->send({"GET", server->url() + "/", {}, "", false}, within(10s))) ++ok;
            }
        });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(ok, 40);
    EXPECT_LE(most_open.load(), 2u);
    EXPECT_GE(most_open.load(), 1u);
    EXPECT_EQ(server->connections_accepted(), 2u);
}

TEST(HttpClient, ACallerWaitingForAConnectionGivesUpAtItsDeadline) {
    std::promise<void> release;
    auto released = release.get_future().share();
    auto server = start_server(server_options([&](ServerOptions& o) { o.threads = 2; }),
                               [&](const ServerRequest& r) {
                                   if (r.target == "/slow") released.wait_for(5s);
                                   return echo(r);
                               });
    ClientOptions o;
    o.max_connections_per_host = 1;
    auto client = make_client(o);
    auto slow = std::async(std::launch::async, [&] {
        return client->send({"GET", server->url() + "/slow", {}, "", false}, within(10s));
    });
    std::this_thread::sleep_for(100ms);  // the slow call holds the only connection
    const auto start = Clock::now();
    auto waited = client->send({"GET", server->url() + "/fast", {}, "", false}, within(200ms));
    ASSERT_FALSE(waited.ok());
    EXPECT_EQ(waited.error().code, Errc::timeout) << waited.error().message;
    EXPECT_LT(ms_since(start), 2000);
    release.set_value();
    EXPECT_TRUE(slow.get().ok());
}

TEST(HttpClient, AConnectionTheServerClosedWhileIdleIsRetriedOnANewOne) {
    ServerOptions so;
    so.read_timeout = 150ms;  // the server drops keep-alive connections idle this long
    auto server = start_server(so, echo);
    auto client = make_client();
    ASSERT_TRUE(client->send({"GET", server->url() + "/1", {}, "", false}, within(5s)).ok());
    std::this_thread::sleep_for(400ms);
    auto again = client->send({"POST", server->url() + "/2", {}, "body", false}, within(5s));
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->body, "POST /2 body");
    EXPECT_EQ(server->connections_accepted(), 2u);
}

TEST(HttpClient, IdleConnectionsExpireAfterTheIdleTimeout) {
    auto server = start_server({}, echo);
    ClientOptions o;
    o.idle_timeout = 100ms;
    auto client = make_client(o);
    ASSERT_TRUE(client->send({"GET", server->url() + "/", {}, "", false}, within(5s)).ok());
    ASSERT_TRUE(client->send({"GET", server->url() + "/", {}, "", false}, within(5s)).ok());
    EXPECT_EQ(server->connections_accepted(), 1u);
    std::this_thread::sleep_for(250ms);
    ASSERT_TRUE(client->send({"GET", server->url() + "/", {}, "", false}, within(5s)).ok());
    EXPECT_EQ(server->connections_accepted(), 2u);
}

TEST(HttpClient, ConnectingToAServerThatNeverAcceptsTimesOut) {
    // Backlog 0 and one queued connection: the kernel ignores further SYNs, so connecting
    // hangs deterministically.
    RawServer silent(nullptr, 0);
    const int filler = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(silent.port());
    ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ClientOptions o;
    o.connect_timeout = 300ms;
    auto client = make_client(o);
    const auto start = Clock::now();
    auto got = client->send({"GET", silent.url("/"), {}, "", false}, within(10s));
    ::close(filler);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::timeout) << got.error().message;
    EXPECT_NE(got.error().message.find("connecting"), std::string::npos) << got.error().message;
    EXPECT_GE(ms_since(start), 280);
    EXPECT_LT(ms_since(start), 2000);
}

TEST(HttpClient, AConnectionRefusedIsTransient) {
    unsigned short port;
    { port = RawServer(nullptr).port(); }  // closed again: nothing listens there now
    auto got = make_client()->send(
        {"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::transient) << got.error().message;
    EXPECT_NE(got.error().message.find("cannot connect to 127.0.0.1:"), std::string::npos)
        << got.error().message;
}

// Accepts, reads the request, never answers (until the test ends).
void never_answer(int fd) {
    read_head(fd);
    char c;
    (void)::recv(fd, &c, 1, 0);  // returns when the client or the test closes the connection
}

TEST(HttpClient, AServerThatNeverAnswersTimesOutAtTheRequestTimeout) {
    RawServer server(never_answer);
    ClientOptions o;
    o.request_timeout = 300ms;
    auto client = make_client(o);
    const auto start = Clock::now();
    auto got = client->send({"GET", server.url("/"), {}, "", false}, within(10s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::timeout) << got.error().message;
    EXPECT_NE(got.error().message.find("reading the response"), std::string::npos);
    EXPECT_GE(ms_since(start), 280);
    EXPECT_LT(ms_since(start), 2000);
}

TEST(HttpClient, TheCallDeadlineBoundsEveryStage) {
    RawServer server(never_answer);
    auto client = make_client();  // default stage timeouts are long
    const auto start = Clock::now();
    auto got = client->send({"GET", server.url("/"), {}, "", false}, within(250ms));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::timeout);
    EXPECT_NE(got.error().message.find("deadline"), std::string::npos) << got.error().message;
    EXPECT_LT(ms_since(start), 2000);
}

TEST(HttpClient, CancelFromAnotherThreadEndsTheCallPromptly) {
    RawServer server(never_answer);
    auto client = make_client();
    CancelSource source;
    CallContext ctx;
    ctx.cancel = source.token();
    std::thread canceller([&] {
        std::this_thread::sleep_for(150ms);
        source.cancel();
    });
    const auto start = Clock::now();
    auto got = client->send({"GET", server.url("/"), {}, "", false}, ctx);
    const auto took = ms_since(start);
    canceller.join();
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::cancelled) << got.error().message;
    EXPECT_GE(took, 140);
    EXPECT_LT(took, 1000);
}

TEST(HttpClient, AnAlreadyCancelledCallDoesNotConnect) {
    RawServer server(never_answer);
    CancelSource source;
    source.cancel();
    CallContext ctx;
    ctx.cancel = source.token();
    auto got = make_client()->send({"GET", server.url("/"), {}, "", false}, ctx);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::cancelled);
}

TEST(HttpClient, ATruncatedBodyIsTransientAndSaysSo) {
    RawServer server([](int fd) {
        read_head(fd);
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
    });
    auto got = make_client()->send({"GET", server.url("/"), {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::transient);
    EXPECT_NE(got.error().message.find("truncated"), std::string::npos) << got.error().message;
}

TEST(HttpClient, AResetBeforeAnyResponseOnAFreshConnectionIsTransientAndNotRetried) {
    RawServer server([](int fd) { read_head(fd); });  // reads the request, then hangs up
    auto got = make_client()->send({"GET", server.url("/"), {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::transient) << got.error().message;
    EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpClient, ABodyOverTheLimitIsABackendError) {
    auto server =
        start_server({}, [](const ServerRequest&) { return reply(200, std::string(5000, 'x')); });
    ClientOptions o;
    o.max_body_bytes = 1000;
    auto client = make_client(o);
    auto got = client->send({"GET", server->url() + "/", {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::backend);
    EXPECT_NE(got.error().message.find("max_body_bytes"), std::string::npos);
    // The connection that broke off is not reused; the next call works.
    auto small = client->send({"HEAD", server->url() + "/", {}, "", false}, within(5s));
    ASSERT_TRUE(small.ok()) << small.error().message;
    EXPECT_EQ(small->header("Content-Length"), "5000");
    EXPECT_TRUE(small->body.empty());
}

TEST(HttpClient, AMalformedStatusLineIsABackendError) {
    RawServer server([](int fd) {
        read_head(fd);
        write_all(fd, "HTTP/1.1 OK-ish\r\n\r\n");
    });
    auto got = make_client()->send({"GET", server.url("/"), {}, "", false}, within(5s));
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, Errc::backend);
    EXPECT_NE(got.error().message.find("malformed"), std::string::npos) << got.error().message;
}

TEST(HttpClient, ChunkedStreamingDeliversEachPieceAsItArrives) {
    std::promise<void> first_seen;
    auto seen = first_seen.get_future().share();
    std::atomic<bool> second_sent{false};
    RawServer server([&](int fd) {
        read_head(fd);
        write_all(fd,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n"
                  "d\r\n{\"type\":\"A\"}\n\r\n");
        // The second piece only goes out once the client has seen the first.
        if (seen.wait_for(5s) != std::future_status::ready) return;
        second_sent = true;
        write_all(fd, "d\r\n{\"type\":\"B\"}\n\r\n0\r\n\r\n");
    });
    auto client = make_client();
    int status = 0;
    std::string got;
    bool first_before_second = false;
    auto result = client->stream(
        {"GET", server.url("/watch"), {}, "", false}, within(10s),
        [&](const Response& head) { status = head.status; },
        [&](std::string_view data) {
            if (got.empty()) {
                first_before_second = !second_sent;
                first_seen.set_value();
            }
            got += data;
            return true;
        });
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(first_before_second);
    EXPECT_EQ(got, "{\"type\":\"A\"}\n{\"type\":\"B\"}\n");
}

TEST(HttpClient, AStreamStopsWhenTheReaderSaysSo) {
    RawServer server([](int fd) {
        read_head(fd);
        write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n");
        char c;
        (void)::recv(fd, &c, 1, 0);  // the stream never ends on its own
    });
    std::string got;
    auto result = make_client()->stream(
        {"GET", server.url("/watch"), {}, "", false}, within(10s), [](const Response&) {},
        [&](std::string_view data) {
            got += data;
            return false;
        });
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(got, "ab");
}

TEST(HttpClient, AStreamEndsAtTheDeadlineAndOnCancel) {
    RawServer server([](int fd) {
        read_head(fd);
        write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        char c;
        (void)::recv(fd, &c, 1, 0);
    });
    auto client = make_client();
    auto nothing = [](std::string_view) { return true; };
    auto timed = client->stream(
        {"GET", server.url("/"), {}, "", false}, within(300ms), [](const Response&) {}, nothing);
    ASSERT_FALSE(timed.ok());
    EXPECT_EQ(timed.error().code, Errc::timeout) << timed.error().message;

    CancelSource source;
    CallContext ctx;
    ctx.cancel = source.token();
    std::thread canceller;
    auto cancelled = client->stream(
        {"GET", server.url("/"), {}, "", false}, ctx,
        [&](const Response&) {
            canceller = std::thread([&source] {
                std::this_thread::sleep_for(100ms);
                source.cancel();
            });
        },
        nothing);
    canceller.join();
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, Errc::cancelled) << cancelled.error().message;
}

TEST(HttpClient, ABadUrlIsAnInvalidArgument) {
    auto client = make_client();
    for (const char* url : {"ftp://x/", "http://", "http://host:99999/", "https://h/a b"}) {
        auto got = client->send({"GET", url, {}, "", false}, within(1s));
        ASSERT_FALSE(got.ok()) << url;
        EXPECT_EQ(got.error().code, Errc::invalid_argument) << url;
        EXPECT_NE(got.error().message.find(url), std::string::npos) << got.error().message;
    }
}

TEST(HttpClient, UrlEncodeKeepsOnlyUnreservedCharacters) {
    EXPECT_EQ(url_encode("a-b_c.d~e"), "a-b_c.d~e");
    EXPECT_EQ(url_encode("app=x,y z/ü"), "app%3Dx%2Cy%20z%2F%C3%BC");
    EXPECT_EQ(url_encode(""), "");
}

}  // namespace
}  // namespace meshorch::http::test
