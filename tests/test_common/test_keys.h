#pragma once

// Keys and token minting shared by every test. Generated keys are made once per process.

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "signet/jose/algorithm.h"
#include "signet/jose/jwk.h"

namespace signet::testing {

// A private key for `alg` with kid "test-<alg>", generated once per process.
const jose::Jwk& test_key(jose::Algorithm alg);

// A second, unrelated key for `alg` (kid "other-<alg>"): signatures from it must not verify
// against test_key(alg).
const jose::Jwk& other_key(jose::Algorithm alg);

// The public half of a key, as a verifier would get it from a JWKS.
jose::Jwk public_half(const jose::Jwk& key);

// Signs `claims` with `key`; header gets typ when non-empty. Aborts the test on failure.
std::string mint(const jose::Jwk& key, const boost::json::object& claims,
                 std::string_view typ = "JWT");

}  // namespace signet::testing
