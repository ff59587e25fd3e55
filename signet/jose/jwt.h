#pragma once

#include <chrono>

#include <boost/json/object.hpp>

#include "signet/common/result.h"
#include "signet/jose/error.h"

namespace signet::jose {

// The clock and tolerance a check runs against; core logic never reads the clock itself.
struct TimeCheck {
  std::chrono::sys_seconds now;
  std::chrono::seconds leeway{0};
};

// RFC 7519 §4.1.4-6: "exp" is required and now must be before exp + leeway; "nbf", when present,
// must be at most now + leeway; "iat", when present, must not be after now + leeway. Each claim
// must be a NumericDate in [0, year 9999].
Result<Ok, Error> check_times(const boost::json::object& claims, const TimeCheck& check);

}  // namespace signet::jose
