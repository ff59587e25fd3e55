#include "signet/cli/command_context.h"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <istream>
#include <ostream>

#include <boost/json.hpp>

#include "signet/admin/admin_service.h"
#include "signet/admin/remote_admin.h"
#include "signet/cli/read_only_admin.h"
#include "signet/cli/terminal_input.h"
#include "signet/client/token_cache.h"
#include "signet/common/ascii.h"
#include "signet/http/url.h"
#include "signet/keys/key_manager.h"
#include "signet/keys/master_key.h"
#include "signet/server/credentials.h"
#include "signet/server/event_log.h"
#include "signet/server/password.h"

namespace signet::cli {

namespace {

// bytes; "yes" and a few stray spaces. A longer answer is not a yes.
constexpr std::size_t kMaxAnswerBytes = 16;

store::Timestamp system_now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace

// The service and what it holds references to, alive together. Members are built in this order:
// the secret hasher reads the master key before the key manager takes it.
struct LocalAdmin {
  LocalAdmin(store::Store& store, keys::MasterKey master_key, const server::ArgonParams& argon,
             admin::AdminService::Clock clock)
      : secrets(master_key),
        keys(store, std::move(master_key)),
        passwords(argon),
        service(store, keys, secrets, passwords, std::move(clock)) {}

  server::SecretHasher secrets;
  keys::KeyManager keys;
  server::PasswordHasher passwords;
  admin::AdminService service;
};

CommandContext::CommandContext(std::ostream& out, std::ostream& err, std::istream& in,
                               bool in_is_terminal, Clock clock, TenantLocation location)
    : out_(out),
      err_(err),
      in_(in),
      in_is_terminal_(in_is_terminal),
      clock_(std::move(clock)),
      location_(std::move(location)) {}

CommandContext::CommandContext(ProcessStreams)
    : CommandContext(std::cout, std::cerr, std::cin, stdin_is_terminal(), system_now, {}) {
  controls_echo_ = true;
}

CommandContext CommandContext::for_process() {
  return CommandContext(ProcessStreams{});
}

CommandContext::~CommandContext() = default;

std::optional<std::string> CommandContext::read_line(std::size_t max) {
  return cli::read_line(in_, max);
}

std::optional<std::string> CommandContext::read_secret(std::string_view prompt, std::size_t max) {
  if (!in_is_terminal_) {
    return read_line(max);
  }
  std::optional<EchoOff> quiet;
  if (controls_echo_) {
    quiet.emplace();  // before the prompt, so nothing typed after it is echoed
  }
  err_ << prompt << std::flush;
  return read_line(max);
}

void CommandContext::set_location(TenantLocation location) {
  read_only_.reset();
  reader_.reset();
  writer_.reset();
  tenant_.reset();
  location_ = std::move(location);
}

admin::Admin& CommandContext::admin(Access access) {
  if (!location_.server.empty()) {
    if (!remote_) {
      const std::string issuer = server_issuer(location_.server);
      admin::RemoteOptions options;
      options.server = issuer;
      options.token = management_token(issuer);
      options.fetch.ca_file = location_.ca_file;
      remote_ = std::make_unique<admin::RemoteAdmin>(std::move(options));
    }
    return *remote_;
  }
  const auto clock = [this] { return now(); };
  if (access == Access::kWrite) {
    wrote_ = true;
    if (!writer_) {
      Tenant& t = tenant(Access::kWrite);
      writer_ = std::make_unique<LocalAdmin>(*t.store, load_master_key(t.data_dir),
                                             argon_params_from_env(), clock);
    }
    return writer_->service;
  }
  if (!read_only_) {
    // Reading needs no master key, and must not create master.key: a key of its own, which
    // nothing can use, since ReadOnlyAdmin lets no write through (read_only_admin.h).
    reader_ = std::make_unique<LocalAdmin>(
        *tenant(Access::kRead).store, keys::MasterKey::generate(), server::ArgonParams{}, clock);
    read_only_ = std::make_unique<ReadOnlyAdmin>(reader_->service);
  }
  return *read_only_;
}

Tenant& CommandContext::tenant(Access access) {
  if (!location_.server.empty()) {
    throw CommandError{
        "this command works on a local data directory only (it reads or writes "
        "key material the Management API never hands out): drop --server and run "
        "it where the data directory is"};
  }
  if (access == Access::kWrite) {
    wrote_ = true;
  }
  if (!tenant_) {
    tenant_ = std::make_unique<Tenant>(
        access == Access::kWrite ? open_tenant(location_.data_dir, location_.store)
                                 : open_existing_tenant(location_.data_dir, location_.store));
  }
  return *tenant_;
}

void add_server_options(CLI::App* cmd, TenantLocation& location) {
  cmd->add_option("--server", location.server,
                  "Manage the tenant of this signet server through its Management API instead of "
                  "a data directory, e.g. https://auth.example.com/ (token: " +
                      std::string(kManagementTokenEnvVar) + ", else signet token's cache)")
      ->envname(std::string(kServerEnvVar));
  cmd->add_option("--ca-file", location.ca_file,
                  "With --server: the PEM file of the CA that signed the server's certificate "
                  "(e.g. signet-data/tls/ca.pem from 'signet dev-cert')")
      ->envname("SIGNET_CA_FILE");
}

std::string server_issuer(const std::string& server) {
  auto url = http::parse_url(server);
  if (!url.ok() || server.find_first_of("?#") != std::string::npos) {
    throw CommandError{"--server '" + server +
                       "' is not a server's URL: give its issuer, e.g. https://auth.example.com/"};
  }
  return server.ends_with('/') ? server : server + "/";
}

std::string management_token(const std::string& issuer) {
  if (const char* env = std::getenv(std::string(kManagementTokenEnvVar).c_str());
      env != nullptr && *env != '\0') {
    return env;
  }
  const std::string audience = issuer + "api/v2/";
  const auto hint =
      "get one with 'printf %s\\n \"$SECRET\" | signet token --issuer " + shell_quote(issuer) +
      " --client-id CLIENT_ID --client-secret-stdin --audience " + shell_quote(audience) +
      "' (an application with a client grant for that audience; "
      "the token is cached for --server), or set " +
      std::string(kManagementTokenEnvVar);
  auto path = client::cache_path_from_environment();
  if (!path) {
    throw CommandError{"no Management API token for " + issuer + ": " + hint};
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto found = client::TokenCache(*path).find_for_audience(issuer, audience, now);
  if (!found) {
    throw CommandError{"cannot read signet token's cache: " + found.error()};
  }
  if (!*found) {
    throw CommandError{"no Management API token for " + issuer + ": " + hint};
  }
  return (*found)->access_token;
}

void confirm_deletion(CommandContext& ctx, bool yes, const std::string& question) {
  if (yes) {
    return;
  }
  if (!ctx.in_is_terminal()) {
    throw CommandError{"refusing to delete without confirmation: add --yes"};
  }
  ctx.err() << question << " [y/N] " << std::flush;
  const auto answer = ctx.read_line(kMaxAnswerBytes);
  if (!answer || !(iequals(*answer, "y") || iequals(*answer, "yes"))) {
    throw CommandError{"nothing was deleted (answer y to delete, or add --yes)"};
  }
}

void CommandContext::record_change(const std::string& command,
                                   const std::vector<std::string>& options, bool succeeded) {
  if (!wrote_ || !location_.server.empty() || !tenant_) {
    return;
  }
  store::Event e;
  e.date =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  e.type = server::admin_change_type(command, succeeded);
  e.description = "signet " + command;
  boost::json::array names;
  for (const auto& name : options) {
    names.push_back(boost::json::string(name));
  }
  std::string os_user;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
    os_user = pw->pw_name;
  }
  e.details = boost::json::serialize(boost::json::object{{"via", "cli"},
                                                         {"command", command},
                                                         {"options", std::move(names)},
                                                         {"os_user", os_user},
                                                         {"succeeded", succeeded}});
  if (auto stored = tenant_->store->append_events({e}); !stored) {
    err_ << "signet: the change was made but not recorded in the event log: "
         << stored.error().message << "\n";
  }
}

int run_in_context(CommandContext& ctx, const std::function<void(CommandContext&)>& command) {
  try {
    command(ctx);
    return 0;
  } catch (const CommandError& e) {
    ctx.err() << "signet: " << e.message << "\n";
    return 1;
  }
}

}  // namespace signet::cli
