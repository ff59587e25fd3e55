#pragma once

// The server's housekeeping: rows that can never be used again are deleted now and then, off the
// request path, so that the store does not grow forever.
//
// - Refresh tokens past their expiry: a family past its lifetime can be neither used nor reused.
// - Failed-login counters that began over kFailedLoginHorizon ago and block nothing: guesses at
//   made-up names would otherwise add a row each.
// - Authorization codes past expiry plus kUsedCodeRetention (sign_in.h): kept that long so that a
//   late second use is still recognised as reuse.
// - Browser sessions past their absolute end, or idle for longer than the idle timeout.
//
// Each kind is swept on its own, so that one failing (a busy store) does not keep the others.
// Time comes in as `now`; the caller decides how often (kHousekeepingInterval).

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "signet/common/result.h"
#include "signet/store/error.h"
#include "signet/store/store.h"

namespace signet::server {

// How often the server sweeps: rows wait at most this long past their end, which costs nothing.
constexpr auto kHousekeepingInterval = std::chrono::hours{1};
// Failed-login counters that began longer ago than this and block nothing are forgotten: a
// guesser slower than max failures a day gets nowhere anyway.
constexpr auto kFailedLoginHorizon = std::chrono::hours{24};

// One kind of row swept: how many were deleted, or why they could not be.
struct SweepResult {
  std::string_view what;  // "expired refresh tokens", "stale failed-login counters", ...
  Result<std::int64_t, store::StoreError> deleted;
};

// Deletes every kind of stale row at `now`; one result per kind, in the order listed above.
std::vector<SweepResult> sweep_stale_rows(store::Store& store, store::Timestamp now,
                                          std::chrono::seconds session_idle_timeout);

}  // namespace signet::server
