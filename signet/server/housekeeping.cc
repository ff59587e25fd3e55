#include "signet/server/housekeeping.h"

#include "signet/server/sign_in.h"

namespace signet::server {

std::vector<SweepResult> sweep_stale_rows(store::Store& store, store::Timestamp now,
                                          std::chrono::seconds session_idle_timeout) {
  std::vector<SweepResult> results;
  results.push_back({"expired refresh tokens", store.delete_expired_refresh_tokens(now)});
  results.push_back({"stale failed-login counters",
                     store.delete_stale_failed_logins(now - kFailedLoginHorizon, now)});
  results.push_back({"expired authorization codes",
                     store.delete_expired_authorization_codes(now - kUsedCodeRetention)});
  results.push_back({"ended browser sessions",
                     store.delete_expired_browser_sessions(now, now - session_idle_timeout)});
  return results;
}

}  // namespace signet::server
