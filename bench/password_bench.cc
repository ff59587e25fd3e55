// The raw cost of one argon2id verification with the parameters the password grant uses (OWASP's
// defaults). bench/serve.sh compares password-grant tokens per second with this rate.

#include <benchmark/benchmark.h>

#include "signet/server/password.h"

namespace {

void BM_Argon2idVerify(benchmark::State& state) {
  const signet::server::PasswordHasher hasher;  // default parameters, as `signet serve` uses
  const std::string hash = hasher.hash("correct horse battery staple");
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.verify("correct horse battery staple", hash));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
