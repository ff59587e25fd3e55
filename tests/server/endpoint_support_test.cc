// Request values quoted back in error descriptions: echoed() for prose, command_word() for the
// commands that hints suggest, and the token endpoint's hints built with them.

#include "signet/server/endpoint_support.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/server/token_endpoint_test_support.h"

namespace signet::server::testing {
namespace {

// The words a POSIX shell makes of `line` when it runs it as a simple command, or nullopt when it
// would do more than split and unquote: expand a parameter, a command substitution, a tilde, a
// glob or a history reference, or end the command at an operator. Quoting rules of POSIX.1-2017
// §2.2; '!' and braces are refused too, for bash's history and brace expansion.
std::optional<std::vector<std::string>> shell_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t') {
      if (in_word) {
        words.push_back(word);
        word.clear();
        in_word = false;
      }
      continue;
    }
    if (c == '\'') {
      const auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        return std::nullopt;
      }
      word += line.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      ++i;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '$' || line[i] == '`' || line[i] == '!') {
          return std::nullopt;
        }
        if (line[i] == '\\' && i + 1 < line.size() &&
            std::string_view("$`\"\\").find(line[i + 1]) != std::string_view::npos) {
          ++i;
        }
        word += line[i];
      }
      if (i == line.size()) {
        return std::nullopt;
      }
    } else if (c == '\\') {
      if (i + 1 == line.size()) {
        return std::nullopt;
      }
      word += line[++i];
    } else if (std::string_view("$`!|&;<>(){}*?[#~\n").find(c) != std::string_view::npos &&
               !(c == '#' && in_word) && !(c == '~' && in_word)) {
      return std::nullopt;
    } else {
      word += c;
    }
    in_word = true;
  }
  if (in_word) {
    words.push_back(word);
  }
  return words;
}

// The suggested command: from "signet " to the end of the description.
std::optional<std::vector<std::string>> suggested_command(std::string_view description) {
  const auto at = description.find("signet ");
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  return shell_words(description.substr(at));
}

bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

TEST(ShellWords, ParsesAsAPosixShellWould) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(shell_words("a 'b c' \"d e\" f\\ g"), (Words{"a", "b c", "d e", "f g"}));
  EXPECT_EQ(shell_words("'it'\\''s'"), (Words{"it's"}));
  EXPECT_EQ(shell_words("\"a\\\"b\""), (Words{"a\"b"}));
  EXPECT_EQ(shell_words("a#b c~d"), (Words{"a#b", "c~d"}));
  for (const std::string_view expands :
       {"$(id)", "\"$(id)\"", "`id`", "~", "a;b", "a|b", "*", "#c", "'open", "\"open", "!1"}) {
    EXPECT_EQ(shell_words(expands), std::nullopt) << expands;
  }
}

// Hostile values, as a client may send them as an audience (or an admin may name a record).
const std::vector<std::string> kHostile = {
    "it's",
    "$(rm -rf ~)",
    "a b  c",
    "`reboot`",
    "\"quoted\"",
    "back\\slash",
    "~root",
    "semi;colon|pipe&amp>file",
    "*?[glob]",
    "#not a comment",
    "!1 history",
    "'; rm -rf ~; echo '",
    "caf\xC3\xA9 api",
    "https://api.example.com/v1/",
    "urn:signet:api|v2",
};

TEST(CommandWord, IsExactlyTheValueAsOneShellWord) {
  for (const auto& value : kHostile) {
    const std::string word = command_word(value, "VALUE");
    EXPECT_EQ(shell_words("cmd --flag " + word + " --next"),
              (std::vector<std::string>{"cmd", "--flag", value, "--next"}))
        << value << " -> " << word;
  }
}

TEST(CommandWord, LeavesOutWhatCannotBePastedAsItIs) {
  const std::vector<std::string> unpasteable = {
      "line\nbreak", "tab\there", std::string("nul\0byte", 8),
      "del\x7F",     "",          std::string(kMaxEchoedValue + 1, 'a')};
  for (const auto& value : unpasteable) {
    EXPECT_EQ(command_word(value, "AUDIENCE"), "AUDIENCE") << value;
  }
  EXPECT_EQ(command_word(std::string(kMaxEchoedValue, 'a'), "AUDIENCE"),
            std::string(kMaxEchoedValue, 'a'));
}

TEST(Echoed, CapsTheLengthAndReplacesControlCharacters) {
  EXPECT_EQ(echoed("plain"), "plain");
  EXPECT_EQ(echoed("a\nb\tc\x7F" + std::string("\0", 1)), "a?b?c??");
  EXPECT_EQ(echoed(std::string(kMaxEchoedValue, 'x')), std::string(kMaxEchoedValue, 'x'));
  EXPECT_EQ(echoed(std::string(kMaxEchoedValue + 1, 'x')),
            std::string(kMaxEchoedValue, 'x') + "...");
  EXPECT_EQ(echoed("abcdef", 3), "abc...");
  // "é" is two bytes: a cut between them backs up to before it, never half a character.
  EXPECT_EQ(echoed("ab\xC3\xA9", 3), "ab...");
  EXPECT_EQ(echoed("ab\xC3\xA9", 4), "ab\xC3\xA9");
  EXPECT_EQ(echoed("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC...");
}

// Through the endpoint: every hint's command, pasted into a shell, names exactly the value sent;
// a value that cannot be pasted is left out; no description holds a control character.
TEST_F(TokenEndpointTest, InvalidTargetHintQuotesTheAudience) {
  const Client c = m2m();
  reload();
  auto values = kHostile;
  values.push_back("line\nbreak");
  values.push_back(std::string(kMaxEchoedValue + 100, 'a'));
  for (const auto& audience : values) {
    auto r = token({{"grant_type", "client_credentials"},
                    {"client_id", c.id},
                    {"client_secret", c.secret},
                    {"audience", audience}});
    expect_error(r, OAuthErrorCode::kInvalidTarget, "Service not found");
    if (r.ok()) {
      continue;
    }
    const std::string& d = r.error().description;
    EXPECT_FALSE(has_control_character(d)) << d;
    EXPECT_LT(d.size(), 2 * kMaxEchoedValue + 200) << d;
    const bool pasteable =
        audience.find('\n') == std::string::npos && audience.size() <= kMaxEchoedValue;
    EXPECT_EQ(suggested_command(d),
              (std::vector<std::string>{"signet", "apis", "create", "--identifier",
                                        pasteable ? audience : "IDENTIFIER", "--name", "NAME"}))
        << d;
  }
}

TEST_F(TokenEndpointTest, AccessDeniedHintQuotesTheAudienceAndClient) {
  const std::string audience = "'; rm -rf ~; echo '$(id) `id`";
  store::Api api;
  api.identifier = audience;
  api.name = "Hostile";
  ASSERT_TRUE(store_->create_api(api).ok());
  const Client c = m2m();
  reload();
  auto r = token({{"grant_type", "client_credentials"},
                  {"client_id", c.id},
                  {"client_secret", c.secret},
                  {"audience", audience}});
  expect_error(r, OAuthErrorCode::kAccessDenied, "Create a client grant");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(suggested_command(r.error().description),
            (std::vector<std::string>{"signet", "grants", "create", "--client-id", c.id,
                                      "--audience", audience, "--scopes", "..."}))
      << r.error().description;
}

TEST_F(TokenEndpointTest, UnauthorizedClientHintQuotesTheClientId) {
  store::Application app;
  app.client_id = "it's $(id)";
  app.name = "odd";
  app.grant_types = {store::GrantType::kClientCredentials};
  app.token_endpoint_auth_method = store::TokenEndpointAuthMethod::kClientSecretPost;
  const std::string secret = generate_secret();
  app.client_secret_hash = secrets_->hash(secret);
  ASSERT_TRUE(store_->create_application(app).ok());
  reload();
  auto r = token({{"grant_type", "refresh_token"},
                  {"client_id", app.client_id},
                  {"client_secret", secret},
                  {"refresh_token", "x"}});
  expect_error(r, OAuthErrorCode::kUnauthorizedClient, "Enable it");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(suggested_command(r.error().description),
            (std::vector<std::string>{"signet", "clients", "update", app.client_id, "--grant-types",
                                      "client_credentials,refresh_token"}))
      << r.error().description;
}

TEST_F(RefreshTest, BlockedUserHintQuotesTheEmail) {
  auto u = store_->get_user(u_).value();
  u.email = "o'hara$(id)@example.com";
  u.blocked = true;
  ASSERT_TRUE(store_->update_user(u).ok());
  auto r = refresh(c_, rt_);
  expect_error(r, OAuthErrorCode::kInvalidGrant, "blocked");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(suggested_command(r.error().description),
            (std::vector<std::string>{"signet", "users", "unblock", u.email}))
      << r.error().description;
}

}  // namespace
}  // namespace signet::server::testing
