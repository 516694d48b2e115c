// The SQLite state store: save, load, erase, list; what a second store on the same file sees;
// many threads at once.
#include "unit/store/store_support.hpp"

#include <boost/json/serialize.hpp>

#include <atomic>
#include <thread>

namespace meshorch::store_test {
namespace {

std::shared_ptr<SqliteStateStore> open_ok(const std::string& path, SqliteOptions o = {}) {
    auto store = SqliteStateStore::open(path, o);
    EXPECT_TRUE(store.ok()) << store.error().describe();
    return store.ok() ? *store : nullptr;
}

TEST(SqliteStore, SaveLoadEraseList) {
    ScratchDir dir;
    auto store = open_ok(dir.file("state.db"));
    ASSERT_TRUE(store);
    EXPECT_EQ(store->path(), dir.file("state.db"));

    auto empty = store->list();
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
    auto none = store->load("bookinfo");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(*none);

    const ServiceRecord r = rich_record();
    ASSERT_TRUE(store->save(r).ok());
    ASSERT_TRUE(store->save(generation_record("alpha", 1)).ok());
    auto names = store->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"alpha", "bookinfo"}));

    auto loaded = store->load("bookinfo");
    ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
    ASSERT_TRUE(*loaded);
    EXPECT_EQ((*loaded)->applied_spec, r.applied_spec);
    EXPECT_EQ((*loaded)->applied_objects, r.applied_objects);
    EXPECT_EQ((*loaded)->observed, r.observed);
    EXPECT_EQ((*loaded)->token_expiry, r.token_expiry);

    // A save replaces the whole record.
    ASSERT_TRUE(store->save(generation_record("alpha", 2)).ok());
    auto alpha = store->load("alpha");
    ASSERT_TRUE(alpha.ok() && *alpha);
    EXPECT_EQ(generation_of(**alpha), 2);
    EXPECT_EQ((*alpha)->token_expiry.size(), 1u);

    ASSERT_TRUE(store->erase("bookinfo").ok());
    ASSERT_TRUE(store->erase("bookinfo").ok());  // erasing what is absent is fine
    names = store->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"alpha"}));
    auto gone = store->load("bookinfo");
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(*gone);
}

TEST(SqliteStore, ARecordWithoutANameIsRefused) {
    ScratchDir dir;
    auto store = open_ok(dir.file("state.db"));
    ASSERT_TRUE(store);
    Status s = store->save(ServiceRecord{});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
}

TEST(SqliteStore, TheFileIsInWalModeWithTheSchemaVersionAndOneRowPerService) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save(generation_record("a", 1)).ok());
    ASSERT_TRUE(store->save(generation_record("a", 2)).ok());
    ASSERT_TRUE(store->save(generation_record("b", 1)).ok());

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    auto integer = [&](const char* sql) {
        sqlite3_stmt* st = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
        EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
        const auto v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
    };
    EXPECT_EQ(integer("PRAGMA user_version"), SqliteStateStore::schema_version);
    EXPECT_EQ(SqliteStateStore::schema_version, 1);
    EXPECT_EQ(integer("SELECT count(*) FROM services"), 2);
    EXPECT_EQ(integer("SELECT count(*) FROM services WHERE updated_at LIKE '20%Z'"), 2);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(SqliteStore, ASecondStoreOnTheFileSeesWhatTheFirstSaved) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    const ServiceRecord r = rich_record();
    {
        auto first = open_ok(path);
        ASSERT_TRUE(first);
        ASSERT_TRUE(first->save(r).ok());
        ASSERT_TRUE(first->save(generation_record("gone", 1)).ok());
        ASSERT_TRUE(first->erase("gone").ok());

        // While the first is open (WAL: a reader does not wait for the writer).
        auto second = open_ok(path);
        ASSERT_TRUE(second);
        auto seen = second->load("bookinfo");
        ASSERT_TRUE(seen.ok() && *seen);
        EXPECT_EQ((*seen)->applied_objects, r.applied_objects);
    }
    // After both closed: a new process would do this.
    auto reopened = open_ok(path);
    ASSERT_TRUE(reopened);
    auto names = reopened->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(*names, (std::vector<std::string>{"bookinfo"}));
    auto loaded = reopened->load("bookinfo");
    ASSERT_TRUE(loaded.ok() && *loaded);
    EXPECT_EQ((*loaded)->applied_spec, r.applied_spec);
    EXPECT_EQ((*loaded)->applied_objects, r.applied_objects);
    EXPECT_EQ((*loaded)->vnfs, r.vnfs);
    EXPECT_EQ((*loaded)->observed, r.observed);
    EXPECT_EQ((*loaded)->namespace_created, r.namespace_created);
    EXPECT_EQ((*loaded)->token_expiry, r.token_expiry);
}

TEST(SqliteStore, ReopeningACurrentFileChangesNothing) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = open_ok(path, {SqliteSync::normal, 100ms});
        ASSERT_TRUE(store);
        ASSERT_TRUE(store->save(generation_record("x", 3)).ok());
    }
    for (int i = 0; i < 3; ++i) {
        auto store = open_ok(path);
        ASSERT_TRUE(store);
        auto x = store->load("x");
        ASSERT_TRUE(x.ok() && *x);
        EXPECT_EQ(generation_of(**x), 3);
    }
}

TEST(SqliteStore, EightThreadsSavingLoadingAndErasingAtOnce) {
    ScratchDir dir;
    auto store = open_ok(dir.file("state.db"), {SqliteSync::normal, 5s});
    ASSERT_TRUE(store);
    constexpr int threads = 8;
    constexpr int per_thread = 40;
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                const std::string own = "t" + std::to_string(t) + "-" + std::to_string(i);
                if (!store->save(generation_record(own, i)).ok()) ++failures;
                // Every thread also rewrites one shared record.
                if (!store->save(generation_record("shared", t * 1000 + i)).ok()) ++failures;
                auto back = store->load(own);
                if (!back.ok() || !*back || generation_of(**back) != i) ++failures;
                if (i % 4 == 3 && !store->erase(own).ok()) ++failures;
                if (!store->list().ok()) ++failures;
            }
        });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(failures.load(), 0);

    auto names = store->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(names->size(), static_cast<std::size_t>(threads * per_thread * 3 / 4 + 1));
    auto shared = store->load("shared");
    ASSERT_TRUE(shared.ok() && *shared);
    EXPECT_EQ(generation_of(**shared) % 1000, per_thread - 1);  // some thread's last save
}

TEST(SqliteStore, TwoStoresOnOneFileWriteAtOnceWithoutLosingARecord) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto a = open_ok(path);
    auto b = open_ok(path);
    ASSERT_TRUE(a && b);
    std::atomic<int> failures{0};
    auto writer = [&](SqliteStateStore& s, const std::string& prefix) {
        for (int i = 0; i < 50; ++i) {
            Status st = s.save(generation_record(prefix + std::to_string(i), i));
            if (!st.ok()) {
                ADD_FAILURE() << describe(st);
                ++failures;
            }
        }
    };
    std::thread ta([&] { writer(*a, "a"); });
    std::thread tb([&] { writer(*b, "b"); });
    ta.join();
    tb.join();
    EXPECT_EQ(failures.load(), 0);
    auto names = a->list();
    ASSERT_TRUE(names.ok());
    EXPECT_EQ(names->size(), 100u);
}

}  // namespace
}  // namespace meshorch::store_test
