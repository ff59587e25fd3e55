#include "signet/cli/config_file.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "tests/test_common/temp_dir.h"

namespace signet::cli::config_file {
namespace {

// One option of each kind, as `signet serve` declares them, each with its variable.
struct Options {
  std::string listen = "127.0.0.1:4000";
  int threads = 0;
  bool migrate = false;
  std::vector<std::string> proxies;
  std::string data_dir = "./signet-data";  // reads SIGNET_DATA_DIR itself, as --data-dir does
  std::string issuer;                      // required, as `signet api --issuer` is
  std::int64_t lockout = 300;
  bool check_config = false;
  Loaded loaded;
};

// Variables a test sets, removed again when it ends, so that no test sees another's.
class Environment {
 public:
  void set(const char* name, const std::string& value) {
    ::setenv(name, value.c_str(), 1);
    names_.push_back(name);
  }
  ~Environment() {
    for (const char* name : names_) {
      ::unsetenv(name);
    }
  }

 private:
  std::vector<const char*> names_;
};

class ConfigFileTest : public ::testing::Test {
 protected:
  ConfigFileTest() {
    for (const char* name : {"SIGNET_CONFIG", "SIGNET_LISTEN", "SIGNET_THREADS", "SIGNET_MIGRATE",
                             "SIGNET_TRUSTED_PROXY", "SIGNET_DATA_DIR", "SIGNET_ISSUER"}) {
      ::unsetenv(name);
    }
    serve_ = app_.add_subcommand("serve");
    serve_->add_option("--listen", o_.listen)->envname("SIGNET_LISTEN")->capture_default_str();
    serve_->add_option("--threads", o_.threads)->envname("SIGNET_THREADS");
    serve_->add_flag("--migrate", o_.migrate)->envname("SIGNET_MIGRATE");
    serve_->add_option("--trusted-proxy", o_.proxies)
        ->envname("SIGNET_TRUSTED_PROXY")
        ->delimiter(',');
    serve_->add_option("--data-dir", o_.data_dir);
    serve_->add_option("--issuer", o_.issuer)->envname("SIGNET_ISSUER");
    add_config_options(serve_, o_.loaded, o_.check_config);
    // After --config: an option a later change adds is a key all the same.
    serve_->add_option("--lockout-seconds", o_.lockout)->check(CLI::Range(1, 3600));
    auto* api = app_.add_subcommand("api");
    add_config_options(api, api_loaded_, api_check_);
  }

  std::string write(const std::string& text, const std::string& name = "signet.toml") {
    const auto path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }

  void parse(const std::string& args) { app_.parse(args); }

  // The error parsing `args` ends with.
  std::string error_of(const std::string& args) {
    try {
      app_.parse(args);
    } catch (const ConfigFileError& e) {
      return e.what();
    }
    return "(no error)";
  }

  signet::testing::TempDir dir_;
  CLI::App app_;
  CLI::App* serve_ = nullptr;
  Options o_;
  Loaded api_loaded_;
  bool api_check_ = false;
  Environment env_;
};

TEST_F(ConfigFileTest, ShapesFollowTheOptions) {
  const Shapes shapes = shapes_of(*serve_);
  EXPECT_EQ(shapes.at("listen").kind, ValueKind::kString);
  EXPECT_EQ(shapes.at("listen").default_value, "127.0.0.1:4000");
  EXPECT_EQ(shapes.at("threads").kind, ValueKind::kInteger);
  EXPECT_EQ(shapes.at("lockout-seconds").kind, ValueKind::kInteger);
  EXPECT_EQ(shapes.at("migrate").kind, ValueKind::kFlag);
  EXPECT_EQ(shapes.at("trusted-proxy").kind, ValueKind::kList);
  EXPECT_FALSE(shapes.at("config").settable);
  EXPECT_FALSE(shapes.at("check-config").settable);
  EXPECT_FALSE(shapes.at("help").settable);
  EXPECT_TRUE(shapes.at("listen").settable);
}

TEST_F(ConfigFileTest, DefaultsWithoutAFile) {
  parse("serve");
  EXPECT_EQ(o_.listen, "127.0.0.1:4000");
  EXPECT_EQ(o_.threads, 0);
  EXPECT_FALSE(o_.migrate);
  EXPECT_TRUE(o_.proxies.empty());
  EXPECT_TRUE(o_.loaded.path.empty());
}

constexpr const char* kEveryKind = R"([serve]
listen = "127.0.0.1:5000"
threads = 3
migrate = true
trusted-proxy = ["10.0.0.0/8", "192.168.0.1"]
lockout-seconds = 60
)";

TEST_F(ConfigFileTest, TheFileBeatsTheDefaults) {
  const auto path = write(kEveryKind);
  parse("serve --config " + path);
  EXPECT_EQ(o_.listen, "127.0.0.1:5000");
  EXPECT_EQ(o_.threads, 3);
  EXPECT_TRUE(o_.migrate);
  EXPECT_EQ(o_.proxies, (std::vector<std::string>{"10.0.0.0/8", "192.168.0.1"}));
  EXPECT_EQ(o_.lockout, 60);  // an option added after --config
  EXPECT_EQ(o_.loaded.path, path);
}

TEST_F(ConfigFileTest, SignetConfigNamesTheFile) {
  env_.set("SIGNET_CONFIG", write(kEveryKind));
  parse("serve");
  EXPECT_EQ(o_.listen, "127.0.0.1:5000");
}

TEST_F(ConfigFileTest, TheEnvironmentBeatsTheFile) {
  env_.set("SIGNET_LISTEN", "127.0.0.1:6000");
  env_.set("SIGNET_THREADS", "4");
  env_.set("SIGNET_MIGRATE", "false");
  env_.set("SIGNET_TRUSTED_PROXY", "172.16.0.0/12");
  parse("serve --config " + write(kEveryKind));
  EXPECT_EQ(o_.listen, "127.0.0.1:6000");
  EXPECT_EQ(o_.threads, 4);
  EXPECT_FALSE(o_.migrate);
  EXPECT_EQ(o_.proxies, std::vector<std::string>{"172.16.0.0/12"});
  EXPECT_EQ(o_.lockout, 60);  // not in the environment: from the file
}

TEST_F(ConfigFileTest, FlagsBeatTheEnvironmentAndTheFile) {
  env_.set("SIGNET_LISTEN", "127.0.0.1:6000");
  env_.set("SIGNET_THREADS", "4");
  env_.set("SIGNET_MIGRATE", "false");
  env_.set("SIGNET_TRUSTED_PROXY", "172.16.0.0/12");
  parse(
      "serve --listen 127.0.0.1:7000 --threads 5 --migrate --trusted-proxy 10.1.0.0/16 "
      "--config " +
      write(R"([serve]
listen = "127.0.0.1:5000"
threads = 3
migrate = false
trusted-proxy = ["10.0.0.0/8"]
)"));
  EXPECT_EQ(o_.listen, "127.0.0.1:7000");
  EXPECT_EQ(o_.threads, 5);
  EXPECT_TRUE(o_.migrate);
  EXPECT_EQ(o_.proxies, std::vector<std::string>{"10.1.0.0/16"});
}

TEST_F(ConfigFileTest, AVariableTheOptionReadsItselfBeatsTheFile) {
  // --data-dir reads SIGNET_DATA_DIR without CLI11 (admin_support.h says why).
  env_.set("SIGNET_DATA_DIR", "/from/env");
  o_.data_dir = "/from/env";
  parse("serve --config " + write("[serve]\ndata-dir = \"/from/file\"\n"));
  EXPECT_EQ(o_.data_dir, "/from/env");
  EXPECT_TRUE(o_.loaded.given_elsewhere.contains("data-dir"));
}

TEST_F(ConfigFileTest, ARequiredOptionMayComeFromTheFile) {
  serve_->get_option("--issuer")->required();
  parse("serve --config " + write("[serve]\nissuer = \"https://auth.example.com/\"\n"));
  EXPECT_EQ(o_.issuer, "https://auth.example.com/");
}

TEST_F(ConfigFileTest, TheOtherCommandsTableIsNotRead) {
  parse("serve --config " + write("[api]\nissuer = \"https://x/\"\n[serve]\nthreads = 2\n"));
  EXPECT_EQ(o_.threads, 2);
  EXPECT_TRUE(o_.issuer.empty());
}

TEST_F(ConfigFileTest, AnUnknownKeyIsNamedWithItsLineAndAGuess) {
  const auto path = write("[serve]\nthreads = 2\nlisen = \"127.0.0.1:1\"\n");
  EXPECT_EQ(error_of("serve --config " + path),
            path +
                ":3: [serve] unknown key 'lisen'; did you mean 'listen'? (the keys are the "
                "flags of 'signet serve --help' without the leading --)");
}

TEST_F(ConfigFileTest, AnUnknownKeyFarFromEveryOption) {
  const auto path = write("[serve]\nfrobnicate = 1\n");
  EXPECT_EQ(error_of("serve --config " + path),
            path +
                ":2: [serve] unknown key 'frobnicate' (the keys are the flags of 'signet "
                "serve --help' without the leading --)");
}

TEST_F(ConfigFileTest, AValueOfTheWrongTypeSaysWhatItNeeds) {
  struct Case {
    std::string line;
    std::string message;
  };
  const std::vector<Case> cases{
      {"threads = \"4\"", "'threads' must be an integer (threads = 4), not a string"},
      {"listen = 4000", "'listen' must be a string in quotes (listen = \"...\"), not an integer"},
      {"migrate = \"yes\"", "'migrate' must be true or false (migrate = true), not a string"},
      {"trusted-proxy = \"10.0.0.0/8\"",
       "'trusted-proxy' must be an array of strings (trusted-proxy = [\"...\", \"...\"]), not a "
       "string"},
      {"trusted-proxy = [1]",
       "'trusted-proxy' must be an array of strings (trusted-proxy = [\"...\", \"...\"]), not an "
       "array"},
      {"trusted-proxy = []",
       "'trusted-proxy' must be an array of strings (trusted-proxy = [\"...\", \"...\"]), not an "
       "array"},
      {"threads = 1.5", "'threads' must be an integer (threads = 4), not a number with a fraction"},
      {"listen = { host = \"x\" }",
       "'listen' must be a string in quotes (listen = \"...\"), not a table"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const auto path = write("[serve]\n" + c.line + "\n");
    CLI::App app;
    Options o;
    auto* serve = app.add_subcommand("serve");
    serve->add_option("--listen", o.listen);
    serve->add_option("--threads", o.threads);
    serve->add_flag("--migrate", o.migrate);
    serve->add_option("--trusted-proxy", o.proxies);
    add_config_options(serve, o.loaded, o.check_config);
    try {
      app.parse("serve --config " + path);
      ADD_FAILURE() << "no error";
    } catch (const ConfigFileError& e) {
      EXPECT_EQ(e.what(), path + ":2: [serve] " + c.message);
    }
  }
}

TEST_F(ConfigFileTest, AValueTheValidatorRefusesIsNamed) {
  const auto path = write("[serve]\n\nlockout-seconds = 0\n");
  const std::string error = error_of("serve --config " + path);
  EXPECT_EQ(error.rfind(path + ":3: [serve] lockout-seconds: ", 0), 0u) << error;
  EXPECT_NE(error.find("not in range"), std::string::npos) << error;
  EXPECT_NE(error.find("remove the key for the default"), std::string::npos) << error;
}

TEST_F(ConfigFileTest, AnIntegerTheOptionCannotHoldIsRefused) {
  const auto path = write("[serve]\nthreads = 99999999999\n");
  EXPECT_EQ(error_of("serve --config " + path).rfind(path + ":2: [serve] threads: ", 0), 0u);
}

TEST_F(ConfigFileTest, KeysThatAreNotSettingsAreRefused) {
  const auto path = write("[serve]\nconfig = \"/etc/other.toml\"\n");
  EXPECT_EQ(error_of("serve --config " + path),
            path +
                ":2: [serve] 'config' is not a setting: give --config on the command line or "
                "SIGNET_CONFIG");
  const auto check = write("[serve]\ncheck-config = true\n", "check.toml");
  EXPECT_EQ(error_of("serve --config " + check),
            check +
                ":2: [serve] 'check-config' is not a setting: give --check-config on the "
                "command line");
  const auto help = write("[serve]\nhelp = true\n", "help.toml");
  EXPECT_EQ(error_of("serve --config " + help),
            help + ":2: [serve] 'help' is not a setting: give --help on the command line");
}

TEST_F(ConfigFileTest, ATableNoCommandReadsIsNamed) {
  const auto path = write("[serve]\nthreads = 2\n\n[serv]\nthreads = 3\n");
  EXPECT_EQ(error_of("serve --config " + path),
            path +
                ":4: no command reads the table [serv]; did you mean [serve]? (the tables are "
                "[serve] and [api])");
}

TEST_F(ConfigFileTest, AKeyOutsideATableIsNamed) {
  const auto path = write("listen = \"127.0.0.1:1\"\n[serve]\n");
  EXPECT_EQ(error_of("serve --config " + path),
            path +
                ":1: 'listen' is outside any table: put it under the table of the command it "
                "is for, [serve] and [api]");
  const auto array = write("[[serve]]\nthreads = 1\n", "array.toml");
  EXPECT_EQ(error_of("serve --config " + array),
            array + ":1: 'serve' is outside any table: write it as the table [serve]");
}

TEST_F(ConfigFileTest, ASyntaxErrorNamesLineAndColumn) {
  const auto path = write("[serve]\nthreads = 2\nlisten = \"127.0.0.1:1\n");
  const std::string error = error_of("serve --config " + path);
  EXPECT_EQ(error.rfind(path + ":3:", 0), 0u) << error;
  EXPECT_NE(error.find("not valid TOML"), std::string::npos) << error;
}

TEST_F(ConfigFileTest, AMissingFileSaysWhereItsNameCameFrom) {
  const auto path = (dir_.path() / "absent.toml").string();
  EXPECT_EQ(error_of("serve --config " + path),
            "cannot read the configuration file " + path +
                ": No such file or directory; check the path given by --config or SIGNET_CONFIG");
}

TEST_F(ConfigFileTest, AHugeFileIsRefused) {
  const auto path = write("[serve]\n" + std::string(1024 * 1024, '#') + "\n");
  EXPECT_NE(error_of("serve --config " + path).find("is larger than 1024 KiB"), std::string::npos);
}

TEST_F(ConfigFileTest, AHiddenAliasIsNotAKey) {
  std::string algs;
  serve_->add_option("--algorithm", algs)->group("");
  const auto path = write("[serve]\nalgorithm = \"RS256\"\n");
  EXPECT_NE(error_of("serve --config " + path).find("unknown key 'algorithm'"), std::string::npos);
}

TEST_F(ConfigFileTest, HelpIsShownWhateverTheFileHolds) {
  const auto path = write("[serve]\nnot-an-option = 1\n");
  EXPECT_THROW(app_.parse("serve --help --config " + path), CLI::CallForHelp);
}

TEST_F(ConfigFileTest, CheckConfigIsAFlag) {
  parse("serve --check-config");
  EXPECT_TRUE(o_.check_config);
}

// --- reload

std::map<std::string, Reloadable> reloadable(std::string& level, std::vector<std::string>& log) {
  return {{"listen",
           {[](const std::string& value) -> std::optional<std::string> {
              if (value.find(':') == std::string::npos) {
                return "no port";
              }
              return std::nullopt;
            },
            [&level, &log](const std::string& value) {
              level = value;
              log.push_back(value);
            }}}};
}

TEST_F(ConfigFileTest, ReloadAppliesWhatCanChangeAndNamesTheRest) {
  const auto path = write("[serve]\nlisten = \"127.0.0.1:5000\"\nthreads = 2\n");
  parse("serve --config " + path);
  write("[serve]\nlisten = \"127.0.0.1:5001\"\nthreads = 3\nmigrate = true\n");
  std::string listen;
  std::vector<std::string> applied;
  auto report = reload(o_.loaded, reloadable(listen, applied));
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(report->applied, std::vector<std::string>{"listen"});
  EXPECT_EQ(report->at_restart, (std::vector<std::string>{"migrate", "threads"}));
  EXPECT_EQ(listen, "127.0.0.1:5001");

  // Unchanged since: nothing applied again; what waits for a restart is named again.
  applied.clear();
  report = reload(o_.loaded, reloadable(listen, applied));
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->applied.empty());
  EXPECT_TRUE(applied.empty());
  EXPECT_EQ(report->at_restart, (std::vector<std::string>{"migrate", "threads"}));
}

TEST_F(ConfigFileTest, ReloadPutsARemovedKeyBackToItsDefault) {
  const auto path = write("[serve]\nlisten = \"127.0.0.1:5000\"\n");
  parse("serve --config " + path);
  write("[serve]\n");
  std::string listen;
  std::vector<std::string> applied;
  auto report = reload(o_.loaded, reloadable(listen, applied));
  ASSERT_TRUE(report) << report.error();
  EXPECT_EQ(listen, "127.0.0.1:4000");
}

TEST_F(ConfigFileTest, ReloadLeavesKeysTheCommandLineGave) {
  const auto path = write("[serve]\nlisten = \"127.0.0.1:5000\"\n");
  parse("serve --listen 127.0.0.1:7000 --threads 1 --config " + path);
  write("[serve]\nlisten = \"127.0.0.1:5001\"\nthreads = 9\n");
  std::string listen;
  std::vector<std::string> applied;
  auto report = reload(o_.loaded, reloadable(listen, applied));
  ASSERT_TRUE(report) << report.error();
  EXPECT_TRUE(report->applied.empty());
  EXPECT_TRUE(report->at_restart.empty());
  EXPECT_TRUE(applied.empty());
}

TEST_F(ConfigFileTest, ReloadOfABrokenFileChangesNothing) {
  const auto path = write("[serve]\nlisten = \"127.0.0.1:5000\"\n");
  parse("serve --config " + path);
  std::string listen;
  std::vector<std::string> applied;
  for (const std::string text : {"[serve]\nlisten = \"127.0.0.1:5001\"\nlisten2 = 1\n", "[serve\n",
                                 "[serve]\nlisten = \"no-port\"\n"}) {
    SCOPED_TRACE(text);
    write(text);
    auto report = reload(o_.loaded, reloadable(listen, applied));
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().rfind(path + ":", 0), 0u) << report.error();
    EXPECT_TRUE(applied.empty());
  }
  write("[serve]\nlisten = \"no-port\"\n");
  EXPECT_NE(reload(o_.loaded, reloadable(listen, applied)).error().find("listen: no port"),
            std::string::npos);
}

TEST_F(ConfigFileTest, ReloadWithoutAFileDoesNothing) {
  parse("serve");
  std::string listen;
  std::vector<std::string> applied;
  auto report = reload(o_.loaded, reloadable(listen, applied));
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->applied.empty());
  EXPECT_TRUE(report->at_restart.empty());
}

}  // namespace
}  // namespace signet::cli::config_file
