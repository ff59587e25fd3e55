#include "signet/jose/jwt.h"

#include "signet/jose/json.h"

namespace signet::jose {
namespace {

// Picks the claim-specific error for a failed typed access.
Error pick(Access a, Error missing, Error wrong_type, Error out_of_range) {
  switch (a) {
    case Access::kMissing:
      return missing;
    case Access::kWrongType:
      return wrong_type;
    case Access::kOutOfRange:
      return out_of_range;
  }
  return wrong_type;
}

}  // namespace

Result<Ok, Error> check_times(const boost::json::object& claims, const TimeCheck& check) {
  const std::int64_t now = check.now.time_since_epoch().count();
  const std::int64_t leeway = check.leeway.count();

  auto exp = get_numeric_date(claims, "exp");
  if (!exp) {
    return fail(pick(exp.error(), Error::kExpMissing, Error::kExpNotNumber, Error::kExpOutOfRange));
  }
  if (now >= *exp + leeway) {
    return fail(Error::kExpired);
  }
  if (claims.contains("nbf")) {
    auto nbf = get_numeric_date(claims, "nbf");
    if (!nbf) {
      return fail(
          pick(nbf.error(), Error::kNbfNotNumber, Error::kNbfNotNumber, Error::kNbfOutOfRange));
    }
    if (now + leeway < *nbf) {
      return fail(Error::kNotYetValid);
    }
  }
  if (claims.contains("iat")) {
    auto iat = get_numeric_date(claims, "iat");
    if (!iat) {
      return fail(
          pick(iat.error(), Error::kIatNotNumber, Error::kIatNotNumber, Error::kIatOutOfRange));
    }
    if (*iat > now + leeway) {
      return fail(Error::kIatInFuture);
    }
  }
  return Ok{};
}

}  // namespace signet::jose
