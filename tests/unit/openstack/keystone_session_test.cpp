// Token reuse, renewal, single-flight authentication and the 401 retry, against a small
// in-process Keystone stand-in (http::Server) and a fake steady clock.
#include "openstack/keystone_session.hpp"
#include "http/server.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace meshorch::openstack {
namespace {

using namespace std::chrono_literals;

std::string keystone_time(std::chrono::system_clock::time_point tp) {
    const auto days = std::chrono::floor<std::chrono::days>(tp);
    const std::chrono::year_month_day ymd(days);
    const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(tp - days));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lld.000000Z", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                  long(hms.minutes().count()), static_cast<long long>(hms.seconds().count()));
    return buf;
}

// Issues tokens "tok-1", "tok-2", ... valid `lifetime`; a "service" path accepts only the
// newest token, or answers 401 while refuse_service > 0.
class FakeKeystone {
public:
    explicit FakeKeystone(std::chrono::seconds lifetime) : lifetime_(lifetime) {
        auto server = http::Server::start(
            http::ServerOptions{}, [this](const http::ServerRequest& r) { return handle(r); });
        EXPECT_TRUE(server);
        server_ = std::move(*server);
    }
    std::string url() const { return server_->url() + "/v3"; }
    int auths() const { return auths_.load(); }
    std::atomic<int> refuse_service{0};
    std::atomic<int> auth_delay_ms{0};
    std::atomic<bool> refuse_credentials{false};
    std::atomic<int> unavailable{0};  // answer 503 to token requests
    std::vector<std::string> seen_tokens() {
        std::lock_guard lock(mutex_);
        return seen_;
    }

private:
    http::Response handle(const http::ServerRequest& r) {
        http::Response out;
        if (r.method == "POST" && r.target == "/v3/auth/tokens") {
            std::this_thread::sleep_for(std::chrono::milliseconds(auth_delay_ms.load()));
            const int n = ++auths_;
            if (unavailable > 0) {
                out.status = 503;
                out.body = R"({"error": {"code": 503, "message": "Service Unavailable"}})";
                return out;
            }
            if (refuse_credentials) {
                out.status = 401;
                out.body = R"({"error": {"code": 401, "title": "Unauthorized",
                               "message": "The request you have made requires authentication."}})";
                return out;
            }
            auto body = boost::json::parse(r.body);  // must be well-formed
            EXPECT_TRUE(body.at("auth").at("identity").is_object());
            const auto now = std::chrono::system_clock::now();
            out.status = 201;
            out.headers.push_back({"X-Subject-Token", "tok-" + std::to_string(n)});
            out.body = R"({"token": {"issued_at": ")" + keystone_time(now) +
                       R"(", "expires_at": ")" + keystone_time(now + lifetime_) +
                       R"(", "project": {"id": "p-1"}, "catalog": [{"type": "compute",
                       "endpoints": [{"interface": "public", "region_id": "RegionOne",
                       "url": "http://nova/v2.1"}]}]}})";
            return out;
        }
        const auto token = r.header("X-Auth-Token").value_or("");
        {
            std::lock_guard lock(mutex_);
            seen_.push_back(token);
        }
        if (refuse_service > 0) {
            --refuse_service;
            out.status = 401;
            return out;
        }
        out.status = token == "tok-" + std::to_string(auths_.load()) ? 200 : 401;
        return out;
    }

    std::chrono::seconds lifetime_;
    std::unique_ptr<http::Server> server_;
    std::atomic<int> auths_{0};
    std::mutex mutex_;
    std::vector<std::string> seen_;
};

struct FakeClock {
    std::atomic<Clock::rep> offset{0};
    Clock::time_point now() const { return Clock::now() + Clock::duration(offset.load()); }
    void advance(Clock::duration d) { offset += d.count(); }
};

std::shared_ptr<KeystoneSession> session_for(const FakeKeystone& ks, FakeClock& clock,
                                             std::chrono::seconds margin = 60s) {
    KeystoneConfig c;
    c.auth_url = ks.url();
    c.username = "meshorch";
    c.password = "pw";
    c.project_name = "demo";
    c.region = "RegionOne";
    c.refresh_margin = margin;
    auto s = KeystoneSession::create(c, [&clock] { return clock.now(); });
    EXPECT_TRUE(s) << s.error().message;
    return *s;
}

TEST(KeystoneSession, ReusesTheTokenUntilTheMarginBeforeExpiry) {
    FakeKeystone ks(3600s);
    FakeClock clock;
    auto s = session_for(ks, clock);
    CallContext ctx;
    EXPECT_EQ(*s->token(ctx), "tok-1");
    EXPECT_EQ(*s->token(ctx), "tok-1");
    clock.advance(3500s);
    EXPECT_EQ(*s->token(ctx), "tok-1");
    EXPECT_EQ(*s->endpoint("compute", ctx), "http://nova/v2.1");
    EXPECT_EQ(ks.auths(), 1);
    clock.advance(45s);  // 3545 s: inside the 60 s margin
    EXPECT_EQ(*s->token(ctx), "tok-2");
    EXPECT_EQ(ks.auths(), 2);
    EXPECT_EQ(s->authentications(), 2u);
}

TEST(KeystoneSession, ShortLivedTokensAreRenewedHalfWay) {
    FakeKeystone ks(10s);
    FakeClock clock;
    auto s = session_for(ks, clock);
    CallContext ctx;
    EXPECT_EQ(*s->token(ctx), "tok-1");
    clock.advance(4s);
    EXPECT_EQ(*s->token(ctx), "tok-1");
    clock.advance(1500ms);  // 5.5 s of 10 s
    EXPECT_EQ(*s->token(ctx), "tok-2");
}

TEST(KeystoneSession, ConcurrentCallersShareOneAuthentication) {
    FakeKeystone ks(3600s);
    ks.auth_delay_ms = 200;
    FakeClock clock;
    auto s = session_for(ks, clock);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 16; ++i) {
        threads.emplace_back([&] {
            if (auto t = s->token(CallContext{}); t && *t == "tok-1") ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 16);
    EXPECT_EQ(ks.auths(), 1);
}

TEST(KeystoneSession, A401CausesOneReauthenticationAndOneRetry) {
    FakeKeystone ks(3600s);
    FakeClock clock;
    auto s = session_for(ks, clock);
    auto client = http::Client::create(client_options(s->config(), "nova"));
    ASSERT_TRUE(client);
    http::Request r;
    r.url = ks.url() + "/service";
    EXPECT_EQ(*s->token(CallContext{}), "tok-1");
    ks.refuse_service = 1;
    auto response = s->send(**client, r, CallContext{});
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(ks.auths(), 2);
    EXPECT_EQ(ks.seen_tokens(), (std::vector<std::string>{"tok-1", "tok-2"}));

    ks.refuse_service = 5;  // a token that keeps being refused: one retry only
    auto refused = s->send(**client, r, CallContext{});
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    EXPECT_EQ(ks.auths(), 3);
    EXPECT_EQ(ks.seen_tokens().size(), 4u);
}

TEST(KeystoneSession, RefusedCredentialsAreATerminalErrorWithoutSecrets) {
    FakeKeystone ks(3600s);
    ks.refuse_credentials = true;
    FakeClock clock;
    auto s = session_for(ks, clock);
    auto t = s->token(CallContext{});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::backend);
    EXPECT_EQ(t.error().http_status, 401);
    EXPECT_NE(t.error().message.find("Keystone authentication as user meshorch, project demo "
                                     "failed: POST /v3/auth/tokens: The request you have made "
                                     "requires authentication. (401)"),
              std::string::npos)
        << t.error().message;
    EXPECT_EQ(t.error().message.find("pw"), std::string::npos);
}

TEST(KeystoneSession, AFailedEarlyRenewalKeepsUsingTheStillValidToken) {
    FakeKeystone ks(3600s);
    FakeClock clock;
    auto s = session_for(ks, clock);
    EXPECT_EQ(*s->token(CallContext{}), "tok-1");
    clock.advance(3550s);  // renewal due (fake clock), but the token lives on (real clock)
    ks.unavailable = 1;
    EXPECT_EQ(*s->token(CallContext{}), "tok-1");
    EXPECT_EQ(ks.auths(), 2);
    ks.unavailable = 0;
    EXPECT_EQ(*s->token(CallContext{}), "tok-3");  // the next call renews
    // Without a token to fall back on the failure is reported, as transient.
    FakeKeystone down(3600s);
    down.unavailable = 1;
    auto fresh = session_for(down, clock);
    auto t = fresh->token(CallContext{});
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::transient);
    EXPECT_EQ(t.error().http_status, 503);
}

TEST(KeystoneSession, HonoursCancelAndDeadline) {
    FakeKeystone ks(3600s);
    FakeClock clock;
    auto s = session_for(ks, clock);
    CancelSource cancel;
    cancel.cancel();
    CallContext cancelled;
    cancelled.cancel = cancel.token();
    auto t = s->token(cancelled);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, Errc::cancelled);
    CallContext late;
    late.deadline = Clock::now() - 1s;
    auto t2 = s->token(late);
    ASSERT_FALSE(t2);
    EXPECT_EQ(t2.error().code, Errc::timeout);
}

}  // namespace
}  // namespace meshorch::openstack
