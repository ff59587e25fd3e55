#include "signet/cli/store_command.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <boost/json.hpp>

#include "signet/cli/admin_support.h"
#include "signet/keys/master_key.h"
#include "signet/store/copy.h"
#include "signet/store/postgres_db.h"
#include "signet/store/sql_store.h"

namespace signet::cli {
namespace {

namespace fs = std::filesystem;

// The copy reads and writes whole tables, each in one statement (a read-back of every refresh
// token, say): far longer than a request-path statement may take, and nothing waits on it.
constexpr std::chrono::milliseconds kCopyStatementTimeout = std::chrono::minutes{10};

struct StoreCopyOptions {
  std::string from;
  std::string to;
  bool force = false;
  bool json = false;
};

// One end of the copy: the database, and what keeps it open.
struct End {
  std::string shown;  // the file's path, or the URL without its password
  std::unique_ptr<store::SqlStore> sqlite;
  std::unique_ptr<store::sql::Database> postgres;
  fs::path data_dir;  // empty for a URL

  store::sql::Database& database() { return sqlite ? sqlite->database() : *postgres; }
};

End open_postgres(const std::string& url, std::string_view role) {
  End end;
  end.shown = store::postgres::redact_url(url);
  auto opened = store::postgres::open(
      {.url = url, .pool_size = 1, .statement_timeout = kCopyStatementTimeout});
  if (!opened) {
    throw CommandError{"cannot open the " + std::string{role} + " " + end.shown + ": " +
                       describe(opened.error())};
  }
  end.postgres = std::move(opened).value();
  return end;
}

// The source: a data directory's signet.db, which must exist (migrated when opened, as every
// command does), or a database.
End open_source(const std::string& from) {
  if (store::postgres::is_postgres_url(from)) {
    return open_postgres(from, "source");
  }
  End end;
  end.data_dir = existing_data_dir(from);
  end.shown = (end.data_dir / kStoreFileName).string();
  end.sqlite = open_existing_store(end.data_dir);
  return end;
}

// The target: a database, or a data directory's signet.db for the way back (created when
// missing).
End open_target(const std::string& to) {
  if (store::postgres::is_postgres_url(to)) {
    return open_postgres(to, "target");
  }
  End end;
  end.data_dir = prepare_data_dir(to);
  end.shown = (end.data_dir / kStoreFileName).string();
  end.sqlite = open_store(end.data_dir);
  return end;
}

// Where the key that sealed the signing keys is: servers on the target need the same one.
std::string master_key_location(const End& source) {
  if (const char* env = std::getenv(std::string(keys::kMasterKeyEnvVar).c_str());
      env != nullptr && *env != '\0') {
    return std::string(keys::kMasterKeyEnvVar) + " (set in this environment)";
  }
  if (!source.data_dir.empty()) {
    return (source.data_dir / keys::kMasterKeyFileName).string();
  }
  return "the one the source's servers use (their data directory's " +
         std::string(keys::kMasterKeyFileName) + " or " + std::string(keys::kMasterKeyEnvVar) + ")";
}

CommandError copy_failure(const store::copy::CopyError& e, const End& from, const End& to) {
  using store::copy::CopyErrorCode;
  switch (e.code) {
    case CopyErrorCode::kTargetNotEmpty:
      return {"cannot copy into " + to.shown + ": " + e.message +
              " (`signet serve --migrate` creates an API and signing keys at its first start); "
              "--force replaces it: every tenant table of the target is emptied first, in the "
              "same transaction as the copy"};
    case CopyErrorCode::kMismatch:
      return {"the copy into " + to.shown + " was rolled back: " + e.message};
    case CopyErrorCode::kSource:
    case CopyErrorCode::kTarget:
      break;
  }
  std::string message =
      "cannot copy " + from.shown + " into " + to.shown + "; nothing was written: " + e.message;
  if (e.store_code == store::StoreErrorCode::kBusy) {
    message += " (another writer met the copy: run it again)";
  }
  return {message};
}

void run_store_copy(const StoreCopyOptions& o) {
  if (o.from == o.to) {
    throw CommandError{"--from and --to name the same store; name two different ones"};
  }
  End from = open_source(o.from);
  End to = open_target(o.to);
  if (from.shown == to.shown) {
    throw CommandError{"--from and --to name the same store (" + from.shown +
                       "); name two different ones"};
  }
  auto source = from.database().acquire();
  if (!source) {
    throw CommandError{"cannot read " + from.shown + ": " + describe(source.error())};
  }
  auto target = to.database().acquire();
  if (!target) {
    throw CommandError{"cannot write " + to.shown + ": " + describe(target.error())};
  }
  auto report = store::copy::copy_tenant(**source, **target, {.replace = o.force});
  if (!report) {
    throw copy_failure(report.error(), from, to);
  }
  const std::string master_key = master_key_location(from);
  if (o.json) {
    boost::json::array tables;
    for (const auto& t : report->tables) {
      tables.push_back(
          boost::json::object{{"table", t.table}, {"rows", t.rows}, {"verified", true}});
    }
    print_json(boost::json::object{{"from", from.shown},
                                   {"to", to.shown},
                                   {"tables", std::move(tables)},
                                   {"revision", report->revision},
                                   {"master_key", master_key}});
    return;
  }
  std::cout << "Copied " << from.shown << " into " << to.shown
            << " in one transaction; every table read back equal to the source:\n";
  for (const auto& t : report->tables) {
    std::string name{t.table};
    name.resize(std::max<std::size_t>(name.size(), 20), ' ');
    std::cout << "  " << name << " " << t.rows << (t.rows == 1 ? " row " : " rows")
              << "  verified\n";
  }
  std::cout << "The signing keys are still sealed under the source's master key: servers on "
            << to.shown << " need the same one, " << master_key << ".\n";
}

}  // namespace

void add_store_command(CLI::App& app, int& exit_code) {
  CLI::App* store = app.add_subcommand("store", "Work on the tenant's store as a whole");
  store->require_subcommand(1);
  auto o = std::make_shared<StoreCopyOptions>();
  CLI::App* cmd = store->add_subcommand(
      "copy",
      "Copy the whole tenant (APIs, applications, grants, users, signing keys, refresh tokens,\n"
      "login counters, codes, sessions) from one store into another: from a data directory's\n"
      "signet.db into a PostgreSQL database, or back. The target is migrated to this signet's\n"
      "schema first; the copy is one transaction, committed only once every table read back\n"
      "from the target equals the source. A target that already holds a tenant is refused\n"
      "unless --force. Signing keys stay sealed: servers on the target need the same master\n"
      "key (the source data directory's master.key or SIGNET_MASTER_KEY).");
  cmd->add_option("--from", o->from,
                  "The data directory whose signet.db is copied, or a postgresql:// URL")
      ->required();
  cmd->add_option("--to", o->to,
                  "The postgresql:// URL to copy into, or a data directory (its signet.db)")
      ->required();
  cmd->add_flag("--force", o->force,
                "Replace the tenant the target holds: its tables are emptied first, in the same "
                "transaction");
  add_json_flag(cmd, o->json);
  cmd->callback([o, &exit_code] { run_command([&] { run_store_copy(*o); }, exit_code); });
}

}  // namespace signet::cli
