#include "signet/server/login_page.h"

namespace signet::server {
namespace {

constexpr std::string_view kStylesheet = R"css(
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{width:100%;max-width:380px;margin:24px;padding:32px;background:#fff;border-radius:12px;
  box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06)}
.logo{display:block;max-height:56px;max-width:200px;margin:0 auto 16px}
p.tenant{margin:0 0 8px;text-align:center;font-weight:600;color:#4f46e5;letter-spacing:.02em}
h1{font-size:1.4rem;margin:0 0 4px;text-align:center}
p.sub{margin:0 0 24px;text-align:center;color:#4b5563}
label{display:block;font-weight:600;margin:12px 0 4px}
input[type=email],input[type=password]{width:100%;padding:10px 12px;border:1px solid #d1d5db;
  border-radius:8px;font:inherit}
input:focus{outline:2px solid #4f46e5;outline-offset:1px;border-color:#4f46e5}
button{width:100%;margin-top:24px;padding:11px;border:0;border-radius:8px;background:#4f46e5;
  color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:hover{background:#4338ca}
.error{margin:0 0 16px;padding:10px 12px;border-radius:8px;background:#fef2f2;color:#991b1b;
  border:1px solid #fecaca}
footer{margin-top:24px;text-align:center;font-size:.8rem;color:#6b7280}
)css";

std::string head(const Branding& branding, std::string_view stylesheet, std::string_view title) {
  std::string out =
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta name=\"referrer\" content=\"no-referrer\"><title>";
  out += html_escape(title);
  out += " · ";
  out += html_escape(branding.tenant_name);
  out += "</title><link rel=\"stylesheet\" href=\"";
  out += html_escape(stylesheet);
  out += "\"></head><body><main>";
  if (!branding.logo_url.empty()) {
    out += "<img class=\"logo\" alt=\"\" src=\"" + html_escape(branding.logo_url) + "\">";
  }
  out += "<p class=\"tenant\">" + html_escape(branding.tenant_name) + "</p>";
  return out;
}

constexpr std::string_view kFoot = "<footer>Secured by signet</footer></main></body></html>\n";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view login_stylesheet() {
  return kStylesheet;
}

std::string render_login_page(const Branding& branding, const LoginPage& page) {
  std::string out = head(branding, page.stylesheet, "Log in");
  out += "<h1>Log in</h1><p class=\"sub\">to continue to " + html_escape(page.application_name) +
         "</p>";
  if (!page.error.empty()) {
    out += "<p class=\"error\" role=\"alert\">" + html_escape(page.error) + "</p>";
  }
  out += "<form method=\"post\" action=\"" + html_escape(page.action) + "\">";
  out += "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(page.csrf) + "\">";
  for (const auto& [name, value] : page.hidden) {
    out += "<input type=\"hidden\" name=\"" + html_escape(name) + "\" value=\"" +
           html_escape(value) + "\">";
  }
  out +=
      "<label for=\"email\">Email address</label>"
      "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required";
  if (page.email.empty()) {
    out += " autofocus";
  }
  out += " value=\"" + html_escape(page.email) + "\">";
  out +=
      "<label for=\"password\">Password</label>"
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required";
  if (!page.email.empty()) {
    out += " autofocus";
  }
  out += "><button type=\"submit\">Continue</button></form>";
  out += kFoot;
  return out;
}

std::string render_message_page(const Branding& branding, std::string_view stylesheet,
                                std::string_view title, std::string_view message) {
  std::string out = head(branding, stylesheet, title);
  out += "<h1>" + html_escape(title) + "</h1><p class=\"sub\">" + html_escape(message) + "</p>";
  out += kFoot;
  return out;
}

}  // namespace signet::server
