// The state store's schema and its migrations. The schema version lives in the file header
// (PRAGMA user_version), so it changes in the same transaction as the tables; the file is
// marked as meshorch's with PRAGMA application_id.
#pragma once

#include "store/sqlite_connection.hpp"

#include <meshorch/error.hpp>

namespace meshorch::store_detail {

// The version a store this library creates has; migrate() brings older files up to it.
int latest_schema_version() noexcept;

// In one IMMEDIATE transaction: refuses a file from a newer meshorch or of another
// application, creates the schema in an empty file, runs the missing migrations in order.
// Nothing changes when it fails.
Status migrate(Connection& connection);

}  // namespace meshorch::store_detail
