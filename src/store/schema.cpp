#include "store/schema.hpp"

#include <meshorch/sqlite_store.hpp>

#include <array>
#include <string>

namespace meshorch::store_detail {

namespace {

// "MSHO": what PRAGMA application_id says in a meshorch state store.
constexpr std::int64_t application_id = 0x4D53484F;

using Migration = Status (*)(Connection&);

// Version 0 -> 1: one row per service, the record as JSON text.
Status create_services_table(Connection& c) {
    return c.exec(
        "CREATE TABLE services ("
        "  name TEXT PRIMARY KEY NOT NULL,"
        "  record TEXT NOT NULL,"     // ServiceRecord as JSON (src/store/record_codec.hpp)
        "  updated_at TEXT NOT NULL"  // UTC, ISO 8601, for people reading the file
        ")",
        "creating the services table");
}

// migrations[i] takes a file from version i to i + 1. A new version is one more function here.
constexpr std::array<Migration, 1> migrations{create_services_table};
static_assert(migrations.size() == SqliteStateStore::schema_version,
              "SqliteStateStore::schema_version is the number of migrations");

Status migrate_in_transaction(Connection& c) {
    const std::string& path = c.path();
    auto version = c.query_integer("PRAGMA user_version", "reading the schema version");
    if (!version) return std::move(version).error();
    auto app = c.query_integer("PRAGMA application_id", "reading the application id");
    if (!app) return std::move(app).error();
    auto tables = c.query_integer("SELECT count(*) FROM sqlite_master", "reading the schema");
    if (!tables) return std::move(tables).error();

    const std::int64_t latest = latest_schema_version();
    if (*app != 0 && *app != application_id) {
        return store_error(path, "is the SQLite database of another application (application_id " +
                                     std::to_string(*app) + "), not a meshorch state store");
    }
    if (*app == 0 && (*version != 0 || *tables != 0)) {
        return store_error(path,
                           "is a SQLite database of something else (it has tables but is not "
                           "marked as a meshorch state store); use another file");
    }
    if (*version > latest) {
        return store_error(path, "was written by a newer meshorch: schema version " +
                                     std::to_string(*version) + ", this library knows up to " +
                                     std::to_string(latest) +
                                     "; use a newer meshorch or another file");
    }
    if (*version == latest) return Ok{};

    if (*version == 0) {
        const std::string mark = "PRAGMA application_id = " + std::to_string(application_id);
        if (Status s = c.exec(mark.c_str(), "marking the file as a meshorch state store"); !s) {
            return s;
        }
    }
    for (auto v = *version; v < latest; ++v) {
        if (Status s = migrations[static_cast<std::size_t>(v)](c); !s) return s;
    }
    const std::string set_version = "PRAGMA user_version = " + std::to_string(latest);
    return c.exec(set_version.c_str(), "writing the schema version");
}

}  // namespace

int latest_schema_version() noexcept {
    return static_cast<int>(migrations.size());
}

Status migrate(Connection& c) {
    // IMMEDIATE: take the write lock first, so two processes opening a new file at once do
    // not both create the schema.
    if (Status s = c.exec("BEGIN IMMEDIATE", "starting the schema transaction"); !s) return s;
    Status s = migrate_in_transaction(c);
    if (s) s = c.exec("COMMIT", "committing the schema");
    if (!s) (void)c.exec("ROLLBACK", "rolling back the schema transaction");
    return s;
}

}  // namespace meshorch::store_detail
