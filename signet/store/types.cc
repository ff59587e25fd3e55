#include "signet/store/types.h"

#include <algorithm>
#include <array>
#include <utility>

namespace signet::store {

std::chrono::seconds AccountDelayPolicy::delay(int failures) const {
  if (failures < free_failures || free_failures <= 0) {
    return std::chrono::seconds{0};
  }
  auto d = first_delay;
  for (int i = free_failures; i < failures && d < max_delay; ++i) {
    d *= 2;
  }
  return std::min(d, max_delay);
}
namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<TokenProfile, 2> kTokenProfiles{{
    {TokenProfile::kAuth0, "auth0"},
    {TokenProfile::kRfc9068, "rfc9068"},
}};
constexpr Names<ApplicationType, 4> kApplicationTypes{{
    {ApplicationType::kM2m, "m2m"},
    {ApplicationType::kRegularWeb, "regular_web"},
    {ApplicationType::kNative, "native"},
    {ApplicationType::kSpa, "spa"},
}};
constexpr Names<GrantType, 4> kGrantTypes{{
    {GrantType::kClientCredentials, "client_credentials"},
    {GrantType::kPassword, "password"},
    {GrantType::kRefreshToken, "refresh_token"},
    {GrantType::kAuthorizationCode, "authorization_code"},
}};
constexpr Names<TokenEndpointAuthMethod, 5> kAuthMethods{{
    {TokenEndpointAuthMethod::kClientSecretBasic, "client_secret_basic"},
    {TokenEndpointAuthMethod::kClientSecretPost, "client_secret_post"},
    {TokenEndpointAuthMethod::kNone, "none"},
    {TokenEndpointAuthMethod::kClientSecretBasicOrPost, "client_secret_basic_or_post"},
    {TokenEndpointAuthMethod::kPrivateKeyJwt, "private_key_jwt"},
}};
constexpr Names<SigningKeyState, 4> kKeyStates{{
    {SigningKeyState::kNext, "next"},
    {SigningKeyState::kCurrent, "current"},
    {SigningKeyState::kPrevious, "previous"},
    {SigningKeyState::kRevoked, "revoked"},
}};
constexpr Names<FailedLoginSubject, 2> kSubjects{{
    {FailedLoginSubject::kUser, "user"},
    {FailedLoginSubject::kClient, "client"},
}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) {
      return name;
    }
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> parse(const Names<E, N>& names, std::string_view text) {
  for (const auto& [v, name] : names) {
    if (name == text) {
      return v;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(TokenProfile p) {
  return name_of(kTokenProfiles, p);
}
std::string_view to_string(ApplicationType t) {
  return name_of(kApplicationTypes, t);
}
std::string_view to_string(GrantType g) {
  return name_of(kGrantTypes, g);
}
std::string_view to_string(TokenEndpointAuthMethod m) {
  return name_of(kAuthMethods, m);
}
std::string_view to_string(SigningKeyState s) {
  return name_of(kKeyStates, s);
}
std::string_view to_string(FailedLoginSubject s) {
  return name_of(kSubjects, s);
}

std::optional<TokenProfile> parse_token_profile(std::string_view text) {
  return parse(kTokenProfiles, text);
}
std::optional<ApplicationType> parse_application_type(std::string_view text) {
  return parse(kApplicationTypes, text);
}
std::optional<GrantType> parse_grant_type(std::string_view text) {
  return parse(kGrantTypes, text);
}
std::optional<TokenEndpointAuthMethod> parse_token_endpoint_auth_method(std::string_view text) {
  return parse(kAuthMethods, text);
}
std::optional<SigningKeyState> parse_signing_key_state(std::string_view text) {
  return parse(kKeyStates, text);
}
std::optional<FailedLoginSubject> parse_failed_login_subject(std::string_view text) {
  return parse(kSubjects, text);
}

}  // namespace signet::store
