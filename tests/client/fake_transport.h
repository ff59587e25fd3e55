#pragma once

// The network of the client tests: answers from a table instead of sockets, and records every
// request, so that tests can count fetches ("a cache hit reads the metadata and the JWKS once").

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "signet/client/token_client.h"

namespace signet::client {

class FakeTransport final : public Transport {
 public:
  using Answer = Result<http::FetchResponse, http::FetchFailure>;

  void on_get(std::string_view url, Answer answer) {
    gets_.insert_or_assign(std::string(url), answer);
  }
  // The answers to the next POSTs, in order; the last one repeats.
  void on_post(Answer answer) { on_posts({std::move(answer)}); }
  void on_posts(std::vector<Answer> answers) {
    post_answers_ = std::move(answers);
    next_post_ = 0;
  }

  Answer get(std::string_view url) override {
    got.emplace_back(url);
    const auto found = gets_.find(std::string(url));
    if (found == gets_.end()) {
      return http::FetchResponse{404, R"({"error":"not_found"})", "application/json", ""};
    }
    return found->second;
  }
  Answer post_form(std::string_view url, std::string_view body,
                   std::optional<std::string_view> dpop) override {
    posted.emplace_back(std::string(url), std::string(body));
    proofs.emplace_back(dpop ? std::optional<std::string>(*dpop) : std::nullopt);
    const std::size_t i = std::min(next_post_++, post_answers_.size() - 1);
    return post_answers_[i];
  }

  std::vector<std::string> got;
  std::vector<std::pair<std::string, std::string>> posted;
  std::vector<std::optional<std::string>> proofs;  // the DPoP header of each POST, if any

 private:
  std::map<std::string, Answer> gets_;
  std::vector<Answer> post_answers_{http::FetchResponse{500, "", "", ""}};
  std::size_t next_post_ = 0;
};

inline http::FetchResponse ok_json(const boost::json::object& body, unsigned status = 200) {
  return http::FetchResponse{status, boost::json::serialize(body), "application/json", "no-store"};
}

}  // namespace signet::client
