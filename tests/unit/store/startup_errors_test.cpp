// Files the store refuses at open, each with an Errc::io error that names the file and says
// what is wrong, and without changing the file.
#include "store/record_codec.hpp"
#include "unit/store/store_support.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <cstdio>

namespace meshorch::store_test {
namespace {

// Opens `path`, expects an Errc::io error naming it and containing `says`.
void expect_refused(const std::string& path, const std::string& says) {
    auto store = SqliteStateStore::open(path);
    ASSERT_FALSE(store.ok()) << path << " opened";
    EXPECT_EQ(store.error().code, Errc::io) << store.error().describe();
    EXPECT_NE(store.error().message.find(path), std::string::npos) << store.error().message;
    EXPECT_NE(store.error().message.find(says), std::string::npos) << store.error().message;
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

TEST(SqliteStoreStartup, AFileThatIsNotADatabaseIsRefusedAndLeftAlone) {
    ScratchDir dir;
    const std::string path = dir.file("notes.txt");
    std::string text;
    for (int i = 0; i < 200; ++i)
        text += "this is not a database, line " + std::to_string(i) + "\n";
    write_file(path, text);
    expect_refused(path, "is not a SQLite database");
    EXPECT_EQ(read_file(path), text);
    EXPECT_FALSE(fs::exists(path + "-wal"));
}

TEST(SqliteStoreStartup, ACorruptedDatabaseIsRefusedAtOpen) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = SqliteStateStore::open(path, {SqliteSync::normal, 5s});
        ASSERT_TRUE(store.ok()) << store.error().describe();
        for (int i = 0; i < 200; ++i) {
            ASSERT_TRUE((*store)->save(generation_record("svc-" + std::to_string(i), i)).ok());
        }
    }  // the last connection checkpoints the WAL into the file and removes it
    ASSERT_FALSE(fs::exists(path + "-wal"));
    std::string bytes = read_file(path);
    ASSERT_GT(bytes.size(), 64u * 4096u);
    // Two whole pages in the middle: b-tree pages or overflow pages, either way their headers.
    const std::size_t page = 4096;
    const std::size_t at = (bytes.size() / 2) / page * page;
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(at),
              bytes.begin() + static_cast<std::ptrdiff_t>(at + 2 * page), '\xA5');
    write_file(path, bytes);

    expect_refused(path, "is a corrupt SQLite database");
    EXPECT_EQ(read_file(path), bytes);
}

TEST(SqliteStoreStartup, ADamagedHeaderIsRefused) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = SqliteStateStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error().describe();
        ASSERT_TRUE((*store)->save(generation_record("a", 1)).ok());
    }
    std::string bytes = read_file(path);
    bytes.replace(0, 6, "SQLxxx");  // the magic string
    write_file(path, bytes);
    expect_refused(path, "is not a SQLite database");
}

TEST(SqliteStoreStartup, AFileFromANewerSchemaIsRefused) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = SqliteStateStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error().describe();
        ASSERT_TRUE((*store)->save(generation_record("a", 1)).ok());
    }
    raw_sql(path, "PRAGMA user_version = 7");
    expect_refused(path,
                   "written by a newer meshorch: schema version 7, this library knows up to 1");

    // Nothing was lost: back at a known version, the record is there.
    raw_sql(path, "PRAGMA user_version = 1");
    auto store = SqliteStateStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    auto a = (*store)->load("a");
    ASSERT_TRUE(a.ok() && *a);
}

TEST(SqliteStoreStartup, TheDatabaseOfSomethingElseIsRefused) {
    ScratchDir dir;
    const std::string other = dir.file("other.db");
    raw_sql(other, "CREATE TABLE things (id INTEGER PRIMARY KEY); INSERT INTO things VALUES (1)");
    expect_refused(other, "is a SQLite database of something else");

    const std::string marked = dir.file("marked.db");
    raw_sql(marked, "PRAGMA application_id = 42");
    expect_refused(marked, "another application");
}

TEST(SqliteStoreStartup, AFileThatCannotBeOpenedIsRefused) {
    ScratchDir dir;
    expect_refused(dir.file("no/such/dir/state.db"), "cannot open");
    expect_refused(dir.path().string(), "");  // a directory
}

TEST(SqliteStoreStartup, AReadOnlyFileIsRefused) {
    if (::geteuid() == 0) GTEST_SKIP() << "root writes read-only files";
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    {
        auto store = SqliteStateStore::open(path);
        ASSERT_TRUE(store.ok()) << store.error().describe();
    }
    ASSERT_EQ(::chmod(path.c_str(), 0444), 0);
    expect_refused(path, "cannot be written");
}

TEST(SqliteStoreStartup, AStoredRowThatDoesNotDecodeIsAnErrorNamingTheService) {
    ScratchDir dir;
    const std::string path = dir.file("state.db");
    auto store = SqliteStateStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().describe();
    ASSERT_TRUE((*store)->save(generation_record("good", 1)).ok());
    raw_sql(
        path,
        "INSERT INTO services VALUES ('broken', '{\"name\": \"broken\", \"vnfs\": 3', 'x');"
        "INSERT INTO services VALUES ('wrong', '" +
            store_detail::encode_record_text(generation_record("other", 1)) +
            "', 'x');"
            "INSERT INTO services VALUES ('typed', '{\"name\": \"typed\", \"applied_spec\": null,"
            " \"applied_objects\": [], \"vnfs\": {}, \"observed\": [],"
            " \"namespace_created\": false, \"token_expiry\": {\"s\": \"soon\"}}', 'x')");
    for (const auto& [name, says] : std::vector<std::pair<std::string, std::string>>{
             {"broken", "not JSON"}, {"wrong", "named \"other\""}, {"typed", "token_expiry.s"}}) {
        auto r = (*store)->load(name);
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().code, Errc::io);
        EXPECT_NE(r.error().message.find("service \"" + name + "\""), std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
    }
    auto good = (*store)->load("good");
    ASSERT_TRUE(good.ok() && *good);
}

}  // namespace
}  // namespace meshorch::store_test
