#include "signet/server/tenant.h"

#include <optional>
#include <set>

#include <boost/json/serialize.hpp>

namespace signet::server {
namespace {

std::string describe(const keys::KeyError& e) {
  return std::string(keys::to_string(e.code)) + ": " + e.message;
}

}  // namespace

const store::Api* TenantSnapshot::find_api(std::string_view identifier) const {
  const auto it = apis.find(identifier);
  return it == apis.end() ? nullptr : &it->second;
}

const store::Application* TenantSnapshot::find_application(std::string_view client_id) const {
  const auto it = applications.find(client_id);
  return it == applications.end() ? nullptr : &it->second;
}

const store::ClientGrant* TenantSnapshot::find_grant(std::string_view client_id,
                                                     std::string_view audience) const {
  const auto it = grants.find(std::make_pair(std::string(client_id), std::string(audience)));
  return it == grants.end() ? nullptr : &it->second;
}

const jose::Jwk* TenantSnapshot::signing_key(jose::Algorithm alg) const {
  const auto it = signing_keys.find(alg);
  return it == signing_keys.end() ? nullptr : &it->second;
}

Tenant::Tenant(store::Store& store, keys::KeyManager& keys) : store_(store), keys_(keys) {}

Tenant::~Tenant() {
  stop_watching();
}

Result<Ok, std::string> Tenant::load(store::Timestamp now) {
  std::lock_guard lock(load_mu_);
  auto snap = std::make_shared<TenantSnapshot>();
  // Read first: a change that lands while the data below is read moves the generation past this
  // value, so the next poll reloads and nothing is missed.
  auto generation = store_.generation();
  if (!generation) {
    store_answering_.store(false);
    return fail("cannot read the store's generation: " + describe(generation.error()));
  }
  note_confirmed(now);
  snap->generation = *generation;

  auto apis = store_.list_apis();
  if (!apis) {
    return fail("cannot list APIs: " + describe(apis.error()));
  }
  std::set<jose::Algorithm> algorithms{kIdTokenAlgorithm};
  for (auto& api : *apis) {
    algorithms.insert(api.signing_algorithm);
    std::string id = api.identifier;
    snap->apis.emplace(std::move(id), std::move(api));
  }
  auto apps = store_.list_applications();
  if (!apps) {
    return fail("cannot list applications: " + describe(apps.error()));
  }
  for (auto& app : *apps) {
    std::string id = app.client_id;
    snap->applications.emplace(std::move(id), std::move(app));
  }
  auto grants = store_.list_client_grants(std::nullopt);
  if (!grants) {
    return fail("cannot list client grants: " + describe(grants.error()));
  }
  for (auto& g : *grants) {
    auto key = std::make_pair(g.client_id, g.audience);
    snap->grants.emplace(std::move(key), std::move(g));
  }

  for (const jose::Algorithm alg : algorithms) {
    // Creates a current and a next key on first use of an algorithm (idempotent, and safe when
    // several servers start at once).
    if (auto ensured = keys_.ensure_keys(alg, now); !ensured) {
      return fail("cannot create " + std::string(jose::to_string(alg)) +
                  " signing keys: " + describe(ensured.error()));
    }
    auto key = keys_.current_signing_key(alg);
    if (!key) {
      return fail("cannot open the current " + std::string(jose::to_string(alg)) +
                  " signing key: " + describe(key.error()));
    }
    // Prepared once per reload: initialising a signature in OpenSSL 3 costs more than an ECDSA
    // signature itself.
    key->signer = jose::PreparedSigner::prepare(key->pkey, alg);
    snap->signing_keys.emplace(alg, std::move(*key));
  }

  auto jwks = keys_.published_jwks();
  if (!jwks) {
    return fail("cannot build the JWKS: " + describe(jwks.error()));
  }
  snap->jwks_json = boost::json::serialize(*jwks);
  auto parsed = jose::parse_jwks(snap->jwks_json);
  if (!parsed) {
    return fail("the published JWKS does not parse: " +
                std::string(jose::to_string(parsed.error())));
  }
  snap->published = std::move(*parsed);

  snapshot_.store(std::move(snap));
  return Ok{};
}

Result<bool, std::string> Tenant::refresh_if_changed(store::PreciseTimestamp now) {
  auto generation = store_.generation();
  if (!generation) {
    store_answering_.store(false);
    return fail("cannot read the store's generation: " + describe(generation.error()));
  }
  note_confirmed(now);
  const auto current = snapshot();
  if (current && current->generation == *generation) {
    return false;
  }
  if (auto loaded = load(std::chrono::floor<std::chrono::seconds>(now)); !loaded) {
    return fail(loaded.error());
  }
  return true;
}

void Tenant::note_confirmed(store::PreciseTimestamp now) {
  const std::int64_t at = now.time_since_epoch().count();
  std::int64_t seen = confirmed_at_ms_.load();
  // A reload confirms at its whole second after the poll that started it confirmed at the
  // millisecond: the later of the two stands.
  while (seen < at && !confirmed_at_ms_.compare_exchange_weak(seen, at)) {
  }
  store_answering_.store(true);
}

bool Tenant::confirmed_within(std::chrono::seconds grace, store::PreciseTimestamp now) const {
  if (store_answering_.load()) {
    return true;
  }
  const store::PreciseTimestamp confirmed{std::chrono::milliseconds{confirmed_at_ms_.load()}};
  return now - confirmed < grace;
}

void Tenant::start_watching(std::chrono::milliseconds interval, WatchReports reports) {
  stop_watching();
  // Since when polls fail, while they do; only the task's thread touches it.
  auto failing_since = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
  auto poll = [this, reports, failing_since] {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto refreshed = refresh_if_changed(now);
    if (!refreshed && !*failing_since) {
      *failing_since = std::chrono::steady_clock::now();
      if (reports.failing) {
        reports.failing(refreshed.error());
      }
    } else if (refreshed && *failing_since) {
      const auto failed_for = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - **failing_since);
      failing_since->reset();
      if (reports.recovered) {
        reports.recovered(failed_for);
      }
    }
  };
  std::lock_guard lock(watch_mu_);
  watcher_ = std::make_unique<PeriodicTask>("the tenant watcher", interval,
                                            PeriodicTask::Start::kAfterInterval, std::move(poll));
}

void Tenant::changed() {
  std::lock_guard lock(watch_mu_);
  if (watcher_) {
    watcher_->wake();
  }
}

void Tenant::stop_watching() {
  std::unique_ptr<PeriodicTask> watcher;
  {
    std::lock_guard lock(watch_mu_);
    watcher = std::move(watcher_);
  }
  // Stopped outside the lock: a run in progress finishes first, and changed() must not wait on it.
  watcher.reset();
}

}  // namespace signet::server
