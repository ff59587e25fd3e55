#include "signet/keys/dev_cert_files.h"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_common/temp_dir.h"

namespace signet::keys {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using signet::testing::TempDir;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

// A fixed "now": nothing here depends on the test machine's clock.
const sys_seconds kNow = sys_days{std::chrono::year{2026} / 3 / 14} + 9h;

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

class DevCertFilesTest : public ::testing::Test {
 protected:
  DevCertPaths paths() const { return dev_cert_paths(tmp_.path() / "tls"); }

  DevCertOutcome ensure(sys_seconds now = kNow, bool force = false) {
    auto out = ensure_dev_cert_files(paths(), force, now);
    EXPECT_TRUE(out.ok()) << out.error();
    return out.ok() ? std::move(out).value() : DevCertOutcome{};
  }

  TempDir tmp_;
};

TEST_F(DevCertFilesTest, AFirstRunCreatesTheDirectoryAndFourFilesWithTheirModes) {
  const DevCertPaths p = paths();
  const DevCertOutcome out = ensure();
  EXPECT_EQ(out.new_ca_reason, "none found in " + p.dir.string());
  EXPECT_FALSE(out.replaced_ca);
  EXPECT_EQ(out.new_server_reason, "the CA is new");
  EXPECT_EQ(out.created, (std::vector<fs::path>{p.ca, p.ca_key, p.cert, p.key}));
  EXPECT_EQ(mode_of(p.dir), 0700u);
  EXPECT_EQ(mode_of(p.ca), 0644u);
  EXPECT_EQ(mode_of(p.ca_key), 0600u);
  EXPECT_EQ(mode_of(p.cert), 0644u);
  EXPECT_EQ(mode_of(p.key), 0600u);
  EXPECT_EQ(out.ca.subject, "CN=signet development CA");
  EXPECT_EQ(out.server.subject, "CN=localhost");
  // Only the four files: no temporary file left behind.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(p.dir)) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names.size(), 4u);
}

TEST_F(DevCertFilesTest, ASecondRunKeepsEverything) {
  const DevCertOutcome first = ensure();
  const DevCertOutcome second = ensure(kNow + 24h);
  EXPECT_FALSE(second.new_ca_reason);
  EXPECT_FALSE(second.new_server_reason);
  EXPECT_TRUE(second.created.empty());
  EXPECT_EQ(second.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  EXPECT_EQ(second.server.sha256_fingerprint, first.server.sha256_fingerprint);
}

TEST_F(DevCertFilesTest, ForceReplacesTheServerCertificateAndKeepsTheCa) {
  const DevCertOutcome first = ensure();
  const DevCertOutcome forced = ensure(kNow, true);
  EXPECT_FALSE(forced.new_ca_reason);
  EXPECT_EQ(forced.new_server_reason, "--force");
  EXPECT_EQ(forced.created, (std::vector<fs::path>{paths().cert, paths().key}));
  EXPECT_EQ(forced.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  EXPECT_NE(forced.server.sha256_fingerprint, first.server.sha256_fingerprint);
}

TEST_F(DevCertFilesTest, TheServerCertificateIsRenewedWithinThirtyDaysOfItsEnd) {
  const DevCertOutcome first = ensure();
  const sys_seconds renew_at = first.server.not_after - kDevCertRenewBefore;
  EXPECT_FALSE(ensure(renew_at - 1s).new_server_reason);
  const DevCertOutcome renewed = ensure(renew_at);
  ASSERT_TRUE(renewed.new_server_reason);
  EXPECT_TRUE(renewed.new_server_reason->starts_with("the previous one expires on "))
      << *renewed.new_server_reason;
  EXPECT_FALSE(renewed.new_ca_reason);
}

TEST_F(DevCertFilesTest, AnExpiringCaIsReplacedAndTheReportSaysClientsMustTrustTheNewOne) {
  const DevCertOutcome first = ensure();
  const DevCertOutcome renewed = ensure(first.ca.not_after - kDevCertRenewBefore);
  ASSERT_TRUE(renewed.new_ca_reason);
  EXPECT_TRUE(renewed.new_ca_reason->starts_with("the previous CA expires on "));
  EXPECT_TRUE(renewed.replaced_ca);
  EXPECT_EQ(renewed.new_server_reason, "the CA is new");
}

TEST_F(DevCertFilesTest, AMissingHalfIsNamed) {
  ensure();
  fs::remove(paths().cert);
  EXPECT_EQ(ensure().new_server_reason, "cert.pem was missing");
  fs::remove(paths().ca_key);
  const DevCertOutcome out = ensure();
  EXPECT_EQ(out.new_ca_reason, "ca-key.pem was missing");
  EXPECT_TRUE(out.replaced_ca);
}

TEST_F(DevCertFilesTest, AKeptKeyThatOthersCanReadIsMadeOwnerOnly) {
  ensure();
  ASSERT_EQ(::chmod(paths().key.c_str(), 0640), 0);
  const DevCertOutcome out = ensure();
  EXPECT_FALSE(out.new_server_reason);
  EXPECT_EQ(out.tightened, std::vector<fs::path>{paths().key});
  EXPECT_EQ(mode_of(paths().key), 0600u);
}

TEST_F(DevCertFilesTest, ACaThatCannotBeUsedIsAnErrorNotReplaced) {
  // Clients may trust it: whoever removes it should know that.
  ensure();
  std::ofstream(paths().ca) << "not a certificate\n";
  auto out = ensure_dev_cert_files(paths(), false, kNow);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("are not a CA signet can use"), std::string::npos) << out.error();
  EXPECT_NE(out.error().find("remove both"), std::string::npos) << out.error();
}

TEST_F(DevCertFilesTest, ADirectoryOthersCanWriteIsRefused) {
  const DevCertPaths p = paths();
  fs::create_directory(p.dir);
  ASSERT_EQ(::chmod(p.dir.c_str(), 0777), 0);
  auto out = ensure_dev_cert_files(p, false, kNow);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().find("chmod 700"), std::string::npos) << out.error();
  EXPECT_FALSE(fs::exists(p.ca));
}

}  // namespace
}  // namespace signet::keys
