#include "signet/cli/migrate_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "signet/cli/admin_support.h"
#include "signet/store/postgres_store.h"
#include "signet/store/schema.h"

namespace signet::cli {
namespace {

struct MigrateOptions {
  std::string data_dir{kDefaultDataDir};
  std::string store;
};

void run_migrate(const MigrateOptions& o) {
  const int latest = store::schema::latest_version();
  if (o.store.empty()) {
    // Opening the SQLite file migrates it.
    const auto data_dir = prepare_data_dir(o.data_dir);
    open_store(data_dir);
    std::cout << (data_dir / kStoreFileName).string() << " is at schema version " << latest << "\n";
    return;
  }
  if (!store::postgres::is_postgres_url(o.store)) {
    throw CommandError{"--store takes a postgresql:// URL, not '" +
                       store::postgres::redact_url(o.store) + "'"};
  }
  auto version = store::PostgresStore::migrate({.url = o.store});
  if (!version) {
    throw CommandError{"cannot migrate " + store::postgres::redact_url(o.store) + ": " +
                       describe(version.error())};
  }
  std::cout << store::postgres::redact_url(o.store) << " is at schema version " << *version << "\n";
}

}  // namespace

void add_migrate_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<MigrateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "migrate",
      "Bring the store's schema up to the version this signet needs, and say which version it\n"
      "is at. Each step runs in its own transaction; running it again, or from several machines\n"
      "at once, is harmless. A PostgreSQL database (--store) is migrated only by this command\n"
      "or 'signet serve --migrate', so that replicas of two versions can share it while they\n"
      "are upgraded one by one; the SQLite file is also migrated whenever it is opened.");
  add_data_dir_option(cmd, o->data_dir);
  add_store_option(cmd, o->store);
  cmd->callback([o, &exit_code] { run_command([&] { run_migrate(*o); }, exit_code); });
}

}  // namespace signet::cli
