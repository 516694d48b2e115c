#include "store/sqlite_connection.hpp"

#include <utility>

namespace meshorch::store_detail {

void Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::bind(int index, std::int64_t number) {
    sqlite3_bind_int64(stmt_, index, number);
}

std::string_view Statement::text(int column) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!p) return {};
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

Error store_error(const std::string& path, std::string_view message) {
    return make_error(Errc::io, "state store " + path + ": " + std::string(message));
}

Result<Connection> Connection::open(const std::string& path, bool create) {
    // NOMUTEX: the store serialises calls on its connection itself.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (create) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    std::unique_ptr<sqlite3, Close> db(raw);  // sqlite3_open_v2 hands one out even on failure
    if (rc != SQLITE_OK) {
        const std::string detail = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        return store_error(path, "cannot open the file: " + detail);
    }
    sqlite3_extended_result_codes(raw, 1);
    return Connection(std::move(db), path);
}

Result<Statement> Connection::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return error(rc, "preparing \"" + std::string(sql) + "\"");
    }
    return Statement(db_.get(), stmt);
}

Status Connection::exec(const char* sql, std::string_view what) {
    const int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(rc, what);
    return Ok{};
}

Result<std::int64_t> Connection::query_integer(std::string_view sql, std::string_view what) {
    auto stmt = prepare(sql);
    if (!stmt) return std::move(stmt).error();
    const int rc = stmt->step();
    if (rc != SQLITE_ROW) return error(rc == SQLITE_DONE ? SQLITE_ERROR : rc, what);
    return stmt->integer(0);
}

Error Connection::error(int rc, std::string_view what) const {
    const int primary = rc & 0xff;
    std::string detail = sqlite3_errmsg(db_.get());
    if (detail == "not an error") detail = sqlite3_errstr(rc);
    Error e = store_error(path_, std::string(what) + ": " + detail);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) e.code = Errc::transient;
    return e;
}

}  // namespace meshorch::store_detail
