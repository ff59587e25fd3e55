#include "signet/store/store_metrics.h"

#include <gtest/gtest.h>

#include "signet/metrics/registry.h"
#include "signet/store/sqlite_store.h"
#include "tests/store/store_test_support.h"

namespace signet::store {
namespace {

using testing::make_api;
using testing::TempDir;

std::string line_of(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) {
    return "";
  }
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

// Every operation passes through read(), write() or single() (sql_store_internal.h), so counting
// there times all of them, and errors are counted by their code.
TEST(StoreMetrics, TimesReadsAndWritesAndCountsErrorsByCode) {
  TempDir dir;
  auto store = SqliteStore::open(dir.file("signet.db")).value();
  metrics::Registry registry;
  store->count_into(registry);

  ASSERT_TRUE(store->create_api(make_api()).ok());                    // a write
  ASSERT_TRUE(store->get_api(make_api().identifier).ok());            // a read
  EXPECT_FALSE(store->get_api("https://no-such-api.example/").ok());  // a read: not found
  EXPECT_FALSE(store->create_api(make_api()).ok());                   // a write: conflict
  ASSERT_TRUE(store->generation().ok());                              // single(): a read

  const std::string text = registry.expose();
  EXPECT_EQ(line_of(text, R"(signet_store_operation_duration_seconds_count{operation="write"})"),
            R"(signet_store_operation_duration_seconds_count{operation="write"} 2)")
      << text;
  EXPECT_EQ(line_of(text, R"(signet_store_operation_duration_seconds_count{operation="read"})"),
            R"(signet_store_operation_duration_seconds_count{operation="read"} 3)")
      << text;
  EXPECT_EQ(line_of(text, R"(signet_store_errors_total{code="not_found"})"),
            R"(signet_store_errors_total{code="not_found"} 1)");
  EXPECT_EQ(line_of(text, R"(signet_store_errors_total{code="conflict"})"),
            R"(signet_store_errors_total{code="conflict"} 1)");
  EXPECT_EQ(line_of(text, R"(signet_store_errors_total{code="unavailable"})"),
            R"(signet_store_errors_total{code="unavailable"} 0)");
}

TEST(StoreMetrics, NothingIsCountedWithoutARegistry) {
  TempDir dir;
  auto store = SqliteStore::open(dir.file("signet.db")).value();
  EXPECT_EQ(store->database().metrics(), nullptr);
  ASSERT_TRUE(store->create_api(make_api()).ok());
}

}  // namespace
}  // namespace signet::store
