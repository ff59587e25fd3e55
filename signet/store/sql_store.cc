#include "signet/store/sql_store.h"

#include "signet/store/sql_store_internal.h"

namespace signet::store {

using sql::Connection;
using sql::detail::read;
using sql::detail::single;

void SqlStore::count_into(metrics::Registry& registry) {
  metrics_ = std::make_unique<StoreMetrics>(registry);
  db_->set_metrics(metrics_.get());
}

StoreResult<std::uint64_t> SqlStore::generation() {
  return single(*db_, [](Connection& db) -> StoreResult<std::uint64_t> {
    SIGNET_STORE_TRY_ASSIGN(generation,
                            db.query_integer("SELECT value FROM meta WHERE key = 'generation'",
                                             "the meta table has no generation"));
    return static_cast<std::uint64_t>(generation);
  });
}

}  // namespace signet::store
