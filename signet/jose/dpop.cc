#include "signet/jose/dpop.h"

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <openssl/hmac.h>
#include <boost/json/serialize.hpp>

#include "signet/common/ascii.h"
#include "signet/jose/base64url.h"
#include "signet/jose/crypto.h"
#include "signet/jose/json.h"
#include "signet/jose/jws.h"

namespace signet::jose::dpop {
namespace {

namespace json = boost::json;

constexpr std::string_view kProofType = "dpop+jwt";  // RFC 9449 §4.2
constexpr std::size_t kJtiRandomBytes = 16;  // 128 bits: RFC 9449 §4.2 asks for at least 96
constexpr std::size_t kNonceKeyBytes = 32;   // the HMAC-SHA256 key: one hash block's worth
constexpr std::size_t kWindowBytes = 8;      // the window counter, big-endian, in a nonce
constexpr std::size_t kMacBytes = 32;        // HMAC-SHA256, untruncated
// A proof's JSON is flat apart from the jwk; a deeper one is not a proof.
constexpr std::size_t kMaxProofJsonDepth = 4;

// JWK members that carry a private key (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). A client
// that sends them has leaked its key: the proof proves nothing, so it is refused outright.
constexpr std::string_view kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

Unexpected<ProofFailure> refuse(ProofError code, std::optional<Error> jose_error = std::nullopt,
                                std::string_view claim = {}) {
  return fail(ProofFailure{code, jose_error, claim});
}

Unexpected<ProofFailure> refuse_claim(ProofError code, std::string_view claim) {
  return refuse(code, std::nullopt, claim);
}

// The proof's header problems are refusals of the algorithm or of the form.
Unexpected<ProofFailure> refuse_jws(Error e) {
  switch (e) {
    case Error::kAlgNone:
    case Error::kAlgHmac:
    case Error::kAlgUnsupported:
      return refuse(ProofError::kAlgNotAllowed, e);
    default:
      return refuse(ProofError::kMalformed, e);
  }
}

// A claim as a string, with missing and wrong-type told apart.
Result<std::string_view, ProofFailure> string_claim(const json::object& claims,
                                                    std::string_view name) {
  auto value = get_string(claims, name);
  if (!value) {
    return refuse_claim(
        value.error() == Access::kMissing ? ProofError::kClaimMissing : ProofError::kClaimType,
        name);
  }
  return *value;
}

bool is_unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

char upper_hex(int v) {
  return "0123456789ABCDEF"[v];
}

// RFC 3986 §6.2.2.1 and §6.2.2.2 on one component: percent-encodings of unreserved characters
// decoded, the others' hex digits upper-cased, and (for a host) letters lower-cased. nullopt for
// a broken percent-encoding or a byte no URL may hold (controls, space, non-ASCII).
std::optional<std::string> normalize_component(std::string_view text, bool lower_case) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte >= 0x7f) {
      return std::nullopt;
    }
    if (c != '%') {
      out.push_back(lower_case ? ascii_lower(c) : c);
      continue;
    }
    const int hi = i + 2 < text.size() ? hex_digit_value(text[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit_value(text[i + 2]) : -1;
    if (lo < 0) {
      return std::nullopt;
    }
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (is_unreserved(decoded)) {
      out.push_back(lower_case ? ascii_lower(decoded) : decoded);
    } else {
      out.push_back('%');
      out.push_back(upper_hex(hi));
      out.push_back(upper_hex(lo));
    }
    i += 2;
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments, on an absolute path.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const std::size_t slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const std::size_t next = in.find('/', 1);
      const std::size_t len = next == std::string_view::npos ? in.size() : next;
      out.append(in.substr(0, len));
      in.remove_prefix(len);
    }
  }
  return out;
}

// The port of an authority ("" when none), digits only; nullopt when malformed or above 65535.
std::optional<std::string> normalize_port(std::string_view port, std::string_view scheme) {
  if (port.empty()) {
    return std::string();  // RFC 3986 §6.2.3: an empty port is the default one
  }
  constexpr std::size_t kMaxPortDigits = 5;  // 65535; "0080" is refused rather than read as 80
  if (port.size() > kMaxPortDigits ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int value = std::stoi(std::string(port));
  if (value > 65535 || port.front() == '0') {
    return std::nullopt;
  }
  if ((scheme == "http" && value == 80) || (scheme == "https" && value == 443)) {
    return std::string();
  }
  return ":" + std::string(port);
}

std::array<std::uint8_t, kWindowBytes> window_bytes(std::int64_t index) {
  std::array<std::uint8_t, kWindowBytes> out{};
  auto u = static_cast<std::uint64_t>(index);
  for (std::size_t i = kWindowBytes; i-- > 0;) {
    out[i] = static_cast<std::uint8_t>(u & 0xff);
    u >>= 8;
  }
  return out;
}

std::optional<std::array<std::uint8_t, kMacBytes>> hmac_sha256(std::string_view key,
                                                               std::span<const std::uint8_t> data) {
  std::array<std::uint8_t, kMacBytes> out{};
  unsigned int len = 0;
  if (HMAC(sha256_md(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr ||
      len != out.size()) {
    clear_openssl_errors();
    return std::nullopt;
  }
  return out;
}

std::string_view as_chars(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A proof's public key, parsed (with its prepared verifiers) and thumbprinted.
struct ProofKey {
  Jwk jwk;
  std::string jkt;
};

// Distinct proof headers remembered: one per client key in use. A flood of fresh keys only
// empties the cache (each then costs what it would without one); it cannot grow memory.
constexpr std::size_t kProofKeyCacheEntries = 1024;

// Parsed proof keys by the exact header text they came from. Parsing a jwk (importing the key,
// checking its point, preparing its verifiers) and hashing its thumbprint cost more than half a
// signature verification; a client's proofs all share one header. Process-wide and thread-safe:
// it only remembers what a deterministic parse of the same bytes would give again.
class ProofKeyCache {
 public:
  std::shared_ptr<const ProofKey> find(std::string_view header) const {
    std::lock_guard lock(mutex_);
    const auto it = keys_.find(header);  // heterogeneous: no string is built per proof
    return it == keys_.end() ? nullptr : it->second;
  }
  void insert(std::string_view header, std::shared_ptr<const ProofKey> key) {
    std::lock_guard lock(mutex_);
    if (keys_.size() >= kProofKeyCacheEntries) {
      keys_.clear();
    }
    keys_.emplace(std::string(header), std::move(key));
  }

 private:
  struct HeaderHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const ProofKey>, HeaderHash, std::equal_to<>>
      keys_;
};

ProofKeyCache& proof_keys() {
  static ProofKeyCache cache;
  return cache;
}

}  // namespace

std::string_view to_string(ProofError e) {
  switch (e) {
    case ProofError::kMissing:
      return "the request has no DPoP proof";
    case ProofError::kMultiple:
      return "the request has more than one DPoP header";
    case ProofError::kMalformed:
      return "the DPoP proof is not a well-formed JWS";
    case ProofError::kTyp:
      return "the DPoP proof header typ must be dpop+jwt";
    case ProofError::kAlgNotAllowed:
      return "the DPoP proof is signed with an algorithm that is not accepted";
    case ProofError::kJwkMissing:
      return "the DPoP proof header must carry the public key as jwk";
    case ProofError::kJwkInvalid:
      return "the DPoP proof jwk is not a usable public key";
    case ProofError::kJwkPrivate:
      return "the DPoP proof jwk contains a private key: generate a new key pair";
    case ProofError::kSignature:
      return "the DPoP proof signature does not verify with its jwk";
    case ProofError::kClaimMissing:
      return "the DPoP proof lacks a required claim";
    case ProofError::kClaimType:
      return "a DPoP proof claim has the wrong type or size";
    case ProofError::kHtm:
      return "the DPoP proof htm does not match the request method";
    case ProofError::kHtu:
      return "the DPoP proof htu does not match the request URL";
    case ProofError::kIatTooOld:
      return "the DPoP proof is too old: make a new proof for each request";
    case ProofError::kIatInFuture:
      return "the DPoP proof iat is in the future: check the client clock";
    case ProofError::kAth:
      return "the DPoP proof ath does not match the access token";
    case ProofError::kNonceMissing:
      return "the server requires a nonce in the DPoP proof: use the DPoP-Nonce header";
    case ProofError::kNonceInvalid:
      return "the DPoP proof nonce is invalid or stale: use the DPoP-Nonce header";
    case ProofError::kReplayed:
      return "the DPoP proof was already used: make a new proof for each request";
    case ProofError::kReplayCacheFull:
      return "the server cannot remember more DPoP proofs now: retry shortly";
    case ProofError::kReplayUnrecorded:
      return "the server could not record the DPoP proof (its store is unreachable): retry "
             "shortly with a new proof";
    case ProofError::kKeyMismatch:
      return "the DPoP proof key is not the key the token is bound to";
  }
  return "the DPoP proof is invalid";
}

std::string ProofFailure::description() const {
  std::string out(to_string(code));
  if (!claim.empty()) {
    out += " (";
    out += claim;
    out += ')';
  }
  if (jose_error) {
    out += ": ";
    out += to_string(*jose_error);
  }
  return out;
}

bool ProofFailure::wants_nonce() const {
  return code == ProofError::kNonceMissing || code == ProofError::kNonceInvalid;
}

bool ProofFailure::unavailable() const {
  return code == ProofError::kReplayUnrecorded;
}

std::optional<std::string> normalize_htu(std::string_view url) {
  const std::size_t end = url.find_first_of("?#");
  url = url.substr(0, end);  // RFC 9449 §4.3: query and fragment are not compared
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string scheme = ascii_lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") {
    return std::nullopt;
  }
  const std::string_view rest = url.substr(colon + 3);
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  // Userinfo has no place in a request URL, and "user@host" would let htu name another host
  // to a careless reader of logs.
  if (authority.find('@') != std::string_view::npos) {
    return std::nullopt;
  }
  // The port follows the last colon, outside an IPv6 literal's brackets.
  const std::size_t bracket = authority.rfind(']');
  const std::size_t port_colon = authority.rfind(':');
  const bool has_port = port_colon != std::string_view::npos &&
                        (bracket == std::string_view::npos || port_colon > bracket);
  const std::string_view host = has_port ? authority.substr(0, port_colon) : authority;
  auto port = normalize_port(has_port ? authority.substr(port_colon + 1) : "", scheme);
  auto normal_host = normalize_component(host, true);
  auto normal_path = normalize_component(path, false);
  if (host.empty() || !port || !normal_host || !normal_path) {
    return std::nullopt;
  }
  return scheme + "://" + *normal_host + *port + remove_dot_segments(*normal_path);
}

std::string access_token_hash(std::string_view access_token) {
  return base64url_encode(sha256(access_token));
}

Result<VerifiedProof, ProofFailure> verify_proof(std::string_view proof, const ProofCheck& check) {
  if (proof.empty()) {
    return refuse(ProofError::kMissing);
  }
  JwsLimits limits;
  limits.max_token_bytes = kMaxProofBytes;
  limits.json.max_depth = kMaxProofJsonDepth;
  limits.allow_embedded_jwk = true;
  auto jws = parse_compact(proof, limits);
  if (!jws) {
    return refuse_jws(jws.error());
  }
  if (jws->typ != kProofType) {
    return refuse(ProofError::kTyp);
  }
  if (std::find(check.algorithms.begin(), check.algorithms.end(), jws->alg) ==
      check.algorithms.end()) {
    return refuse(ProofError::kAlgNotAllowed, Error::kAlgNotAllowed);
  }
  const json::value* jwk_value = jws->header.if_contains("jwk");
  if (jwk_value == nullptr) {
    return refuse(ProofError::kJwkMissing);
  }
  if (!jwk_value->is_object()) {
    return refuse(ProofError::kJwkInvalid, Error::kJwkNotObject);
  }
  const json::object& jwk_object = jwk_value->get_object();
  for (std::string_view member : kPrivateMembers) {
    if (jwk_object.contains(member)) {
      return refuse(ProofError::kJwkPrivate);
    }
  }

  // The claims are checked before any crypto, so that a stale or misdirected proof costs no
  // signature verification; nothing from them is trusted until the signature verifies below.
  auto claims = parse_json_object(jws->payload, limits.json);
  if (!claims) {
    return refuse(ProofError::kMalformed, claims.error());
  }
  auto jti = string_claim(*claims, "jti");
  if (!jti) {
    return fail(jti.error());
  }
  // An empty jti identifies nothing; an unbounded one would let a client grow the replay cache.
  if (jti->empty() || jti->size() > kMaxJtiBytes) {
    return refuse_claim(ProofError::kClaimType, "jti");
  }
  auto htm = string_claim(*claims, "htm");
  if (!htm) {
    return fail(htm.error());
  }
  auto htu = string_claim(*claims, "htu");
  if (!htu) {
    return fail(htu.error());
  }
  auto iat = get_numeric_date(*claims, "iat");
  if (!iat) {
    return refuse_claim(
        iat.error() == Access::kMissing ? ProofError::kClaimMissing : ProofError::kClaimType,
        "iat");
  }
  std::optional<std::string_view> ath;
  if (check.access_token) {
    auto value = string_claim(*claims, "ath");
    if (!value) {
      return fail(value.error());
    }
    ath = *value;
  }
  std::optional<std::string> nonce;
  if (claims->contains("nonce")) {
    auto value = string_claim(*claims, "nonce");
    if (!value) {
      return fail(value.error());
    }
    if (value->size() > kMaxNonceBytes) {
      return refuse_claim(ProofError::kClaimType, "nonce");
    }
    nonce = std::string(*value);
  }

  // RFC 9110 §9.1: methods are case-sensitive.
  if (*htm != check.method) {
    return refuse(ProofError::kHtm);
  }
  const auto proof_url = normalize_htu(*htu);
  const auto request_url = normalize_htu(check.url);
  if (!proof_url || !request_url || *proof_url != *request_url) {
    return refuse(ProofError::kHtu);
  }
  if (*iat < check.now - check.lifetime.count() - check.leeway.count()) {
    return refuse(ProofError::kIatTooOld);
  }
  if (*iat > check.now + check.leeway.count()) {
    return refuse(ProofError::kIatInFuture);
  }
  if (ath && !constant_time_equal(*ath, access_token_hash(*check.access_token))) {
    return refuse(ProofError::kAth);
  }

  // A client sends the same header with every proof: its key, parsed once, is remembered by
  // the header's exact text, which determines it.
  const std::string_view header_text = proof.substr(0, proof.find('.'));
  std::shared_ptr<const ProofKey> key = proof_keys().find(header_text);
  const bool cached = key != nullptr;
  if (!cached) {
    auto parsed = parse_jwk(jwk_object);
    if (!parsed) {
      return refuse(ProofError::kJwkInvalid, parsed.error());
    }
    const std::string jkt = thumbprint(*parsed);
    key = std::make_shared<const ProofKey>(ProofKey{std::move(parsed).value(), jkt});
  }
  if (auto verified = verify_signature(*jws, key->jwk); !verified) {
    return refuse(ProofError::kSignature, verified.error());
  }
  if (!cached) {
    // Only keys that have signed a proof are remembered.
    proof_keys().insert(header_text, key);
  }
  VerifiedProof out;
  out.jkt = key->jkt;
  out.jti = std::string(*jti);
  out.iat = *iat;
  out.alg = jws->alg;
  out.nonce = std::move(nonce);
  return out;
}

Result<VerifiedProof, ProofFailure> verify_bound_proof(std::string_view proof,
                                                       const ProofCheck& check,
                                                       std::string_view bound_jkt,
                                                       const NonceSource* nonces) {
  if (!check.access_token) {
    return refuse_claim(ProofError::kClaimMissing, "ath");  // a caller's mistake: fail closed
  }
  auto verified = verify_proof(proof, check);
  if (!verified) {
    return verified;
  }
  // A proof signed by any key proves nothing about the token: it must be the key the token was
  // issued to, or a stolen token would work with a key pair of the thief's own.
  if (verified->jkt != bound_jkt) {
    return refuse(ProofError::kKeyMismatch);
  }
  if (nonces != nullptr) {
    if (auto fresh = nonces->check(verified->nonce, check.now); !fresh) {
      return fail(std::move(fresh.error()));
    }
  }
  return verified;
}

Result<std::string, Error> make_proof(const Jwk& key, const ProofRequest& request) {
  json::object jwk = to_public_json(key);
  // Only the key itself: the server needs nothing else, and a kid would only help track the
  // client across servers.
  jwk.erase("kid");
  jwk.erase("use");
  jwk.erase("alg");
  const Algorithm alg = signing_algorithm(key);
  json::object header;
  header["typ"] = kProofType;
  header["alg"] = to_string(alg);
  header["jwk"] = std::move(jwk);

  std::array<std::uint8_t, kJtiRandomBytes> jti{};
  random_bytes(jti);
  json::object claims;
  claims["jti"] = base64url_encode(jti);
  claims["htm"] = request.method;
  claims["htu"] = request.url.substr(0, request.url.find_first_of("?#"));
  claims["iat"] = request.now;
  if (request.access_token) {
    claims["ath"] = access_token_hash(*request.access_token);
  }
  if (request.nonce) {
    claims["nonce"] = *request.nonce;
  }
  return sign_compact_raw(key, alg, json::serialize(header), json::serialize(claims));
}

NonceSource::NonceSource(std::chrono::seconds window, std::string key)
    : window_seconds_(window.count()), key_(std::move(key)) {
  if (window_seconds_ < 1) {
    throw std::invalid_argument("the DPoP nonce window must be at least one second");
  }
  if (key_.empty()) {
    key_.assign(kNonceKeyBytes, '\0');
    random_bytes({reinterpret_cast<std::uint8_t*>(key_.data()), key_.size()});
  } else if (key_.size() < kNonceKeyBytes) {
    throw std::invalid_argument("the DPoP nonce key must be at least 32 bytes");
  }
}

std::int64_t NonceSource::window_index(std::int64_t now) const {
  // Floor division, so that the window boundaries are the same on both sides of the epoch.
  const std::int64_t q = now / window_seconds_;
  return (now % window_seconds_ != 0 && now < 0) ? q - 1 : q;
}

std::string NonceSource::for_window(std::int64_t index) const {
  const auto window = window_bytes(index);
  // A failed HMAC (out of memory) yields an all-zero MAC that check() never accepts, as it
  // computes the expected MAC afresh: failing closed.
  const auto mac = hmac_sha256(key_, window).value_or(std::array<std::uint8_t, kMacBytes>{});
  std::string raw(as_chars(window));
  raw += as_chars(mac);
  return base64url_encode(raw);
}

std::string NonceSource::current(std::int64_t now) const {
  return for_window(window_index(now));
}

Result<Ok, ProofFailure> NonceSource::check(const std::optional<std::string>& nonce,
                                            std::int64_t now) const {
  if (!nonce) {
    return refuse(ProofError::kNonceMissing);
  }
  if (nonce->size() > kMaxNonceBytes) {
    return refuse(ProofError::kNonceInvalid);
  }
  auto raw = base64url_decode(*nonce);
  if (!raw || raw->size() != kWindowBytes + kMacBytes) {
    return refuse(ProofError::kNonceInvalid);
  }
  std::uint64_t counter = 0;
  for (std::size_t i = 0; i < kWindowBytes; ++i) {
    counter = (counter << 8) | static_cast<std::uint8_t>((*raw)[i]);
  }
  const auto index = static_cast<std::int64_t>(counter);
  const std::int64_t current = window_index(now);
  // The previous window too, so a nonce handed out just before a boundary still works.
  if (index != current && index != current - 1) {
    return refuse(ProofError::kNonceInvalid);
  }
  const auto expected = hmac_sha256(key_, window_bytes(index));
  if (!expected ||
      !constant_time_equal(std::string_view(*raw).substr(kWindowBytes), as_chars(*expected))) {
    return refuse(ProofError::kNonceInvalid);
  }
  return Ok{};
}

}  // namespace signet::jose::dpop
