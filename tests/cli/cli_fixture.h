#pragma once

// Runs admin commands in process, as gh's tests do: string streams for output, error and input,
// a fixed clock, and a temporary data directory, so that a test reads exactly what a person or a
// script would see, without a subprocess.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "signet/cli/apis_command.h"
#include "signet/cli/clients_command.h"
#include "signet/cli/command_context.h"
#include "signet/cli/grants_command.h"
#include "signet/cli/keys_command.h"
#include "signet/cli/users_command.h"
#include "tests/test_common/temp_dir.h"

namespace signet::cli::testing {

// 2023-11-14T22:13:20Z, what every record created in a test says.
constexpr std::int64_t kNow = 1'700'000'000;
constexpr const char* kNowText = "2023-11-14T22:13:20Z";

class CliTest : public ::testing::Test {
 protected:
  CliTest() {
    // A developer's own tenant or master key must never leak into a test.
    ::unsetenv("SIGNET_DATA_DIR");
    ::unsetenv("SIGNET_MASTER_KEY");
    reset_streams();
  }

  // The data directory the commands use (not created until a command that writes runs).
  std::filesystem::path data_dir() const { return dir_.path() / "tenant"; }

  // Fresh streams and context; `input` is what the command reads, `terminal` whether a person
  // types it.
  void reset_streams(const std::string& input = "", bool terminal = false) {
    out_.str("");
    err_.str("");
    in_ = std::make_unique<std::istringstream>(input);
    ctx_ = std::make_unique<CommandContext>(
        out_, err_, *in_, terminal, [this] { return store::Timestamp{std::chrono::seconds{now_}}; },
        TenantLocation{data_dir().string()});
  }

  // Runs `run(ctx, options)` as signet would, with fresh streams; returns the exit status.
  template <typename Options>
  int run(void (*command)(CommandContext&, const Options&), const Options& options,
          const std::string& input = "", bool terminal = false) {
    reset_streams(input, terminal);
    return run_in_context(*ctx_, [&](CommandContext& c) { command(c, options); });
  }

  // Parses `args` (without "signet") as the real command line, every admin noun registered, and
  // runs the chosen verb; returns the exit status.
  int run_args(std::vector<std::string> args, const std::string& input = "") {
    reset_streams(input);
    CLI::App app;
    int exit_code = -1;
    VerbRegistrar verbs(*ctx_, exit_code);
    keys::add_command(app, verbs);
    apis::add_command(app, verbs);
    clients::add_command(app, verbs);
    grants::add_command(app, verbs);
    users::add_command(app, verbs);
    args.push_back("--data-dir");
    args.push_back(data_dir().string());
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses from the back
    app.parse(reversed);
    return exit_code;
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }
  CommandContext& ctx() { return *ctx_; }

  // Creates what most tests need, and clears the streams.
  void create_api(const std::string& identifier, const std::vector<std::string>& scopes = {}) {
    apis::CreateOptions o;
    o.identifier = identifier;
    o.name = "Test API";
    o.scopes = scopes;
    ASSERT_EQ(run(apis::run_create, o), 0) << err();
  }

  std::int64_t now_ = kNow;

 private:
  signet::testing::TempDir dir_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::unique_ptr<std::istringstream> in_;
  std::unique_ptr<CommandContext> ctx_;
};

}  // namespace signet::cli::testing
