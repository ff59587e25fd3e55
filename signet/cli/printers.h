#pragma once

// How the admin commands show records: one printer per record type, with a JSON form (--json) and
// a text form (a table), so that every command that shows an API, an application, a grant, a
// user or a key shows it the same way.
//
// For each record type R:
// - to_json(R): the JSON object (--json of show, create, update; an element of --json of list);
// - print_details(out, R): the record alone, one setting a line (show, create, update);
// - print_rows(out, records): a table with a header and one row each (list).
// Secrets never appear, with one exception: ApplicationWithSecret, the answer to create and
// rotate-secret, the one time a client secret is shown. Password hashes and client-secret hashes
// never appear at all, and signing keys only with their public metadata.

#include <ostream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "signet/admin/admin.h"
#include "signet/store/types.h"

namespace signet::cli {

using TableRows = std::vector<std::vector<std::string>>;

// `text` with every control character (below 0x20, and DEL) written as \xNN, so that text a client
// chose cannot drive the terminal it is shown on.
std::string printable(std::string_view text);

// Rows as left-aligned columns two spaces apart (the first row is the header, when there is one).
// Cells go through printable().
void print_table(std::ostream& out, const TableRows& rows);
// One JSON value and a newline.
void print_json(std::ostream& out, const boost::json::value& value);

// --- APIs. The details end with the permissions table, or how to add the first permission.
boost::json::object to_json(const store::Api& api);
void print_details(std::ostream& out, const store::Api& api);
void print_rows(std::ostream& out, const std::vector<store::Api>& apis);

// --- an API's permissions
boost::json::object to_json(const store::Permission& permission);
void print_rows(std::ostream& out, const std::vector<store::Permission>& permissions);

// --- applications: never the secret nor its hash (the hash helps an attacker, not an operator).
boost::json::object to_json(const store::Application& app);
TableRows detail_rows(const store::Application& app);
void print_details(std::ostream& out, const store::Application& app);
void print_rows(std::ostream& out, const std::vector<store::Application>& apps);

// --- an application with its new secret, after create and rotate-secret: the secret, and the
// warning that it cannot be shown again.
boost::json::object to_json(const admin::ApplicationWithSecret& created);
void print_details(std::ostream& out, const admin::ApplicationWithSecret& created);

// --- client grants
boost::json::object to_json(const store::ClientGrant& grant);
void print_details(std::ostream& out, const store::ClientGrant& grant);
void print_rows(std::ostream& out, const std::vector<store::ClientGrant>& grants);

// --- users: never the password hash (it would let anyone who sees it guess passwords offline).
boost::json::object to_json(const store::User& user);
TableRows detail_rows(const store::User& user);
void print_details(std::ostream& out, const store::User& user);

// A user with the brute-force counters that lock them out now (users list).
struct UserWithLockouts {
  store::User user;
  std::vector<store::AddressFailedLogins> lockouts;  // only counters that block at the moment
};
boost::json::object to_json(const UserWithLockouts& u);
void print_rows(std::ostream& out, const std::vector<UserWithLockouts>& users);

// A user with everything `users show` tells: lockouts and permissions on every API.
struct UserProfile {
  store::User user;
  std::vector<store::AddressFailedLogins> lockouts;  // only counters that block at the moment
  std::vector<store::UserPermission> permissions;    // APIs in the order the store lists them
};
boost::json::object to_json(const UserProfile& profile);
// The user, their permissions by API, and where they are locked out with how to lift it.
void print_details(std::ostream& out, const UserProfile& profile);

// --- a user's permissions
boost::json::object to_json(const store::UserPermission& permission);
void print_rows(std::ostream& out, const std::vector<store::UserPermission>& permissions);

// --- signing keys: public metadata only; the private half never leaves the store.
boost::json::object to_json(const store::SigningKey& key);
void print_rows(std::ostream& out, const std::vector<store::SigningKey>& keys);

// The JSON array of a list, each element as to_json() gives it.
template <typename Record>
boost::json::array to_json_array(const std::vector<Record>& records) {
  boost::json::array out;
  for (const auto& r : records) {
    out.push_back(to_json(r));
  }
  return out;
}

// One record as a command's result: JSON with `json`, else its details.
template <typename Record>
void print_record(std::ostream& out, bool json, const Record& record) {
  if (json) {
    print_json(out, to_json(record));
  } else {
    print_details(out, record);
  }
}

// A list as a command's result: a JSON array with `json` (empty or not); else the table, or
// `empty_hint` and a newline when there is nothing to list (what to do to make the first one).
template <typename Record>
void print_list(std::ostream& out, bool json, const std::vector<Record>& records,
                const std::string& empty_hint) {
  if (json) {
    print_json(out, to_json_array(records));
  } else if (records.empty()) {
    out << empty_hint << "\n";
  } else {
    print_rows(out, records);
  }
}

}  // namespace signet::cli
