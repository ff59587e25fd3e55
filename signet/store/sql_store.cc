#include "signet/store/sql_store.h"

#include "signet/store/sql_store_internal.h"

namespace signet::store {

StoreResult<std::uint64_t> SqlStore::generation() {
  SIGNET_STORE_LEASE(db);
  SIGNET_STORE_TRY_ASSIGN(generation,
                          db.query_integer("SELECT value FROM meta WHERE key = 'generation'",
                                           "the meta table has no generation"));
  return static_cast<std::uint64_t>(generation);
}

}  // namespace signet::store
