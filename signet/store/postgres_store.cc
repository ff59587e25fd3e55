#include "signet/store/postgres_store.h"

#include "signet/store/schema.h"

namespace signet::store {

StoreResult<int> PostgresStore::migrate(const postgres::Options& connection) {
  auto database = postgres::open(connection);
  if (!database) {
    return fail(database.error());
  }
  auto lease = (*database)->acquire();
  if (!lease) {
    return fail(lease.error());
  }
  return schema::migrate(**lease, schema::migrations());
}

StoreResult<std::unique_ptr<SqlStore>> PostgresStore::open(const Options& options) {
  auto database = postgres::open(options.connection);
  if (!database) {
    return fail(database.error());
  }
  {
    auto lease = (*database)->acquire();
    if (!lease) {
      return fail(lease.error());
    }
    if (options.migrate) {
      if (auto version = schema::migrate(**lease, schema::migrations()); !version) {
        return fail(version.error());
      }
    } else if (auto r = schema::require_latest(**lease); !r) {
      return fail(r.error());
    }
  }
  return std::make_unique<SqlStore>(std::move(database).value());
}

}  // namespace signet::store
