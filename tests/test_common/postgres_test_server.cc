#include "tests/test_common/postgres_test_server.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <gtest/gtest.h>
#include <libpq-fe.h>

namespace signet::testing {
namespace {

const std::string kScript = std::string(SIGNET_SOURCE_DIR) + "/tests/support/postgres-server.sh";

// The server this process started itself (no SIGNET_TEST_POSTGRES_DIR), stopped at exit.
class OwnServer {
 public:
  OwnServer() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "signet-postgres-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed for the test PostgreSQL server");
    }
    dir_ = pattern;
    if (std::system(("bash '" + kScript + "' start '" + dir_ + "'").c_str()) != 0) {
      throw std::runtime_error("could not start a PostgreSQL server with " + kScript);
    }
  }
  ~OwnServer() { std::system(("bash '" + kScript + "' stop '" + dir_ + "' >/dev/null").c_str()); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

std::string read_url(const std::string& dir) {
  std::ifstream in(dir + "/url");
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error("no PostgreSQL URL in " + dir +
                             "/url: start the server with tests/support/postgres-server.sh");
  }
  return url;
}

struct ConnectionFinish {
  void operator()(PGconn* c) const { PQfinish(c); }
};

// One connection to the `postgres` database that creates and drops the tests' databases.
class Admin {
 public:
  void run(const std::string& sql) {
    std::lock_guard lock(mutex_);
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset(PQconnectdb(postgres_server_url().c_str()));
      if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw std::runtime_error("cannot connect to the test PostgreSQL server: " +
                                 std::string(PQerrorMessage(conn_.get())));
      }
    }
    PGresult* result = PQexec(conn_.get(), sql.c_str());
    bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
    std::string error = ok ? "" : PQresultErrorMessage(result);
    PQclear(result);
    if (!ok) {
      throw std::runtime_error(sql + ": " + error);
    }
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<PGconn, ConnectionFinish> conn_;
};

Admin& admin() {
  static Admin instance;
  return instance;
}

}  // namespace

namespace {

const std::string& server_dir() {
  static const std::string dir = []() -> std::string {
    if (const char* dir = std::getenv("SIGNET_TEST_POSTGRES_DIR"); dir != nullptr && *dir != 0) {
      return dir;
    }
    static OwnServer own;
    return own.dir();
  }();
  return dir;
}

}  // namespace

const std::string& postgres_server_url() {
  static const std::string url = read_url(server_dir());
  return url;
}

std::string postgres_server_ca_file() {
  return server_dir() + "/ca.pem";
}

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  name_ = "signet_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  // FILE_COPY copies template1's files instead of logging every page: about a fifth faster here,
  // and the checkpoint it needs is cheap on a server without fsync.
  admin().run("CREATE DATABASE " + name_ + " STRATEGY FILE_COPY");
  const std::string& server = postgres_server_url();
  url_ = server.substr(0, server.rfind('/') + 1) + name_;
}

TestDatabase::~TestDatabase() {
  try {
    // FORCE: a connection a test left open (a leaked lease, a pool not yet destroyed) would
    // otherwise keep the database alive.
    admin().run("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "dropping the test database: " << e.what();
  }
}

}  // namespace signet::testing
