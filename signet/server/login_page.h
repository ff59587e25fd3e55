#pragma once

// The pages signet shows a browser: the login form, and the pages that end a flow without a
// redirect (an error that must not go back to an unverified redirect URI, "you are signed out").
// Plain HTML and one stylesheet: they work without JavaScript, and the Content-Security-Policy
// they are served with (sign_in_routes.cc) allows no script at all.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace signet::server {

// How the pages present the tenant (`signet serve --tenant-name`, `--logo-url`).
struct Branding {
  std::string tenant_name = "signet";
  std::string logo_url;  // empty: no logo
};

struct LoginPage {
  std::string action;      // where the form posts
  std::string stylesheet;  // the stylesheet's URL
  std::string application_name;
  std::string email;  // pre-filled (login_hint, or what was typed before)
  std::string error;  // shown above the form; empty when none
  std::string csrf;
  std::vector<std::pair<std::string, std::string>> hidden;  // the authorization request
};

std::string render_login_page(const Branding& branding, const LoginPage& page);

// A page with a title and one paragraph (errors, the signed-out page).
std::string render_message_page(const Branding& branding, std::string_view stylesheet,
                                std::string_view title, std::string_view message);

// The stylesheet of every page.
std::string_view login_stylesheet();

// Text made safe for HTML element content and double-quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace signet::server
