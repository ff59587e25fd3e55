#pragma once

// What every admin command (`signet keys|apis|clients|grants|users`) is handed when it runs, as
// gh's factory and kubectl's IOStreams are: its streams, the clock, and the tenant it manages.
// A command reads and writes nothing else, so a test runs it in process with string streams, a
// fixed clock and a temporary data directory (tests/cli/).
//
// Verbs are registered with VerbRegistrar::add(): each has its own options struct, filled by its
// flags, and one run function `void run(CommandContext&, const Options&)` that throws CommandError
// to fail.

#include <cstddef>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/App.hpp>

#include "signet/admin/admin.h"
#include "signet/cli/admin_support.h"
#include "signet/cli/tenant.h"
#include "signet/store/types.h"

namespace signet::cli {

// Where the tenant a command manages lives: a local data directory, or, with `--server URL`, a
// server's Management API (docs/management-api.md).
struct TenantLocation {
  std::string data_dir{kDefaultDataDir};
  std::string server{};   // the server's issuer URL; empty: the local data directory
  std::string ca_file{};  // PEM bundle that signs the server's certificate; empty: the system's
  std::string store{};    // a postgresql:// URL; empty: <data_dir>/signet.db
};

// The environment variable holding a Management API access token for --server.
constexpr std::string_view kManagementTokenEnvVar = "SIGNET_MANAGEMENT_TOKEN";
// The environment variable that gives --server's value (a flag given wins).
constexpr std::string_view kServerEnvVar = "SIGNET_SERVER";

// Adds --server (also SIGNET_SERVER) and --ca-file, bound to `location`.
void add_server_options(CLI::App* cmd, TenantLocation& location);

// --server's value as the issuer URL it names: an http(s) URL, given a trailing '/' when it has
// none. CommandError for anything else.
std::string server_issuer(const std::string& server);

// The Management API token for `issuer`: SIGNET_MANAGEMENT_TOKEN when set, else a usable token
// for the audience {issuer}api/v2/ in `signet token`'s cache. CommandError saying how to get one
// when there is neither.
std::string management_token(const std::string& issuer);

// Whether a command changes the tenant. A command that only reads creates nothing: a missing data
// directory or store is an error that says where it looked.
enum class Access { kRead, kWrite };

struct LocalAdmin;  // an AdminService on the local tenant, with the key manager and hashers it uses

class CommandContext {
 public:
  using Clock = std::function<store::Timestamp()>;

  // `in_is_terminal`: whether a person types on `in`, so that prompts make sense.
  CommandContext(std::ostream& out, std::ostream& err, std::istream& in, bool in_is_terminal,
                 Clock clock, TenantLocation location);
  // The process's own: std::cout, std::cerr, std::cin (a terminal when stdin is one, with echo
  // turned off while secrets are typed), and the system clock in whole seconds.
  static CommandContext for_process();

  CommandContext(const CommandContext&) = delete;
  CommandContext& operator=(const CommandContext&) = delete;
  ~CommandContext();

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool in_is_terminal() const { return in_is_terminal_; }
  // The clock, in whole seconds (what the store keeps).
  store::Timestamp now() const { return clock_(); }

  // One line of input without its "\n" or "\r\n"; nullopt at end of input. Stops reading once the
  // line is longer than `max` bytes, so piping in a huge file cannot exhaust memory (the caller
  // sees the over-long line and refuses it).
  std::optional<std::string> read_line(std::size_t max);
  // A secret typed after `prompt` (on err), without echo on a terminal. Without a terminal there
  // is no prompt: the next line is read.
  std::optional<std::string> read_secret(std::string_view prompt, std::size_t max);

  // Where the tenant lives. The registration helper sets it from --data-dir before the command
  // runs; nothing is opened until a command asks.
  const TenantLocation& location() const { return location_; }
  void set_location(TenantLocation location);

  // The admin operations on the tenant (signet/admin/admin.h), opened on first use: an
  // AdminService on the local data directory, or a RemoteAdmin on the server with --server (whose
  // token decides what may be read or written).
  // kWrite loads the master key (SIGNET_MASTER_KEY, else <data-dir>/master.key, created when
  // missing) and the argon2id parameters of SIGNET_ARGON2_*; kRead needs neither, creates
  // nothing, and gives an Admin that refuses every write. Throws CommandError.
  admin::Admin& admin(Access access);

  // The local tenant (data directory and store), opened on first use, for what the Admin
  // interface does not do (`keys create`, `keys jwks`). kWrite creates the data directory and
  // store when missing; kRead refuses a missing one. Throws CommandError, also with --server
  // (those commands work on a data directory only).
  Tenant& tenant(Access access);

  // After a command that asked for write access to a local tenant: records the change in its
  // event log (sapi, or fapi when it failed; key rotations, revocations and unblocks have their
  // own types), naming the command and the options given, never their values. Nothing for a
  // command that only read, or one that ran through --server (the server records those). A
  // failure to record is reported on err and does not change the command's status.
  void record_change(const std::string& command, const std::vector<std::string>& options,
                     bool succeeded);

 private:
  struct ProcessStreams {};  // for_process(): the streams are the process's own
  CommandContext(ProcessStreams);

  std::ostream& out_;
  std::ostream& err_;
  std::istream& in_;
  bool in_is_terminal_;
  bool controls_echo_ = false;  // only the process's own terminal has echo to turn off
  Clock clock_;
  TenantLocation location_;
  std::unique_ptr<Tenant> tenant_;
  bool wrote_ = false;                       // write access to the local tenant was asked for
  std::unique_ptr<LocalAdmin> writer_;       // admin(kWrite)
  std::unique_ptr<LocalAdmin> reader_;       // behind admin(kRead)
  std::unique_ptr<admin::Admin> read_only_;  // admin(kRead): reader_, writes refused
  std::unique_ptr<admin::Admin> remote_;     // admin(any) with --server
};

// Runs one command against `ctx`: a CommandError becomes "signet: <message>" on ctx.err() and
// status 1; success is status 0.
int run_in_context(CommandContext& ctx, const std::function<void(CommandContext&)>& command);

// Before a deletion, which cannot be undone: returns when the operator agreed, else throws
// CommandError and nothing may be deleted. With `yes` (--yes) it returns at once; when input is a
// terminal it asks "<question> [y/N] " on err and agrees on y or yes; without a terminal (a
// script) it refuses, so that a script deletes only what it says it means to.
void confirm_deletion(CommandContext& ctx, bool yes, const std::string& question);

// One registered verb: its subcommand, to add flags to, and its options, to bind them to.
template <typename Options>
struct Verb {
  CLI::App* command;
  Options& options;
};

// Where admin verbs are registered: the context they run in and the exit status they set.
class VerbRegistrar {
 public:
  VerbRegistrar(CommandContext& ctx, int& exit_code) : ctx_(ctx), exit_code_(exit_code) {}

  // Adds the verb `name` under `noun`, with a fresh Options, --data-dir, and --json when Options
  // has a `json` member. When the verb is chosen, its location goes to the context and `run` runs
  // there (run_in_context).
  template <typename Options>
  Verb<Options> add(CLI::App* noun, const std::string& name, const std::string& description,
                    void (*run)(CommandContext&, const Options&)) {
    // Owned by the callback, which CLI::App keeps as long as the command exists.
    auto state = std::make_shared<std::pair<Options, TenantLocation>>();
    CLI::App* cmd = noun->add_subcommand(name, description);
    add_data_dir_option(cmd, state->second.data_dir);
    add_store_option(cmd, state->second.store);
    add_server_options(cmd, state->second);
    if constexpr (requires { state->first.json; }) {
      add_json_flag(cmd, state->first.json);
    }
    cmd->callback([&ctx = ctx_, &exit_code = exit_code_, state, run, cmd, noun] {
      ctx.set_location(state->second);
      exit_code = run_in_context(ctx, [&](CommandContext& c) { run(c, state->first); });
      std::vector<std::string> given;
      for (const CLI::Option* option : cmd->get_options()) {
        if (option->count() > 0 && !option->get_lnames().empty()) {
          given.push_back("--" + option->get_lnames().front());
        }
      }
      const std::string command = noun->get_parent() == nullptr
                                      ? cmd->get_name()
                                      : noun->get_name() + " " + cmd->get_name();
      ctx.record_change(command, given, exit_code == 0);
    });
    return Verb<Options>{cmd, state->first};
  }

  CommandContext& context() { return ctx_; }

 private:
  CommandContext& ctx_;
  int& exit_code_;
};

}  // namespace signet::cli
