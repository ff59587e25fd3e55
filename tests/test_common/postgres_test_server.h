#pragma once

// A real PostgreSQL server for tests, and a fresh empty database on it for each test.
//
// Under CTest, the `postgres` fixture (CMakeLists.txt) has started one server for the whole run
// and SIGNET_TEST_POSTGRES_DIR names its directory (tests/support/postgres-server.sh writes the
// URL to DIR/url). A test binary run by hand starts its own server, once, in a temporary
// directory, and stops it when the process exits.
//
// Setup failures throw std::runtime_error: a test without its database cannot run.

#include <string>

namespace signet::testing {

// The URL of the server's `postgres` database (a superuser, trust authentication).
const std::string& postgres_server_url();

// The PEM file of the CA that signed the server's TLS certificate (for 127.0.0.1).
std::string postgres_server_ca_file();

// A new, empty database with a name no other test uses (the process id and a counter), dropped
// (with any connection still open to it) when the object goes away.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // postgresql://signet@127.0.0.1:PORT/<name>
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

}  // namespace signet::testing
