#!/usr/bin/env bash
# Would multi-prime RSA (RFC 8017 §3.2: three primes at 2048 bits) sign faster than two primes?
# Issue 12 asked for it as an option if it reached 1.4x. This measures the ceiling of that idea
# on the machine: `openssl speed` signing RSA-2048 with 2 and 3 primes in alternating rounds on one
# pinned core, once as OpenSSL runs by default and once with AVX-512 IFMA masked off
# (OPENSSL_ia32cap), since OpenSSL 3 has an IFMA path for two 1024-bit primes only.
# Usage: bench/rsa_primes.sh. Env: ROUNDS (default 3), SECONDS_PER_RUN (default 3), CORE (0).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh  # median, ratio
rounds=${ROUNDS:-3}
seconds=${SECONDS_PER_RUN:-3}
core=${CORE:-0}

sign_rate() {  # $1 = primes, $2 = OPENSSL_ia32cap value ("" for the default)
  local out
  if [ -n "$2" ]; then
    out=$(OPENSSL_ia32cap="$2" taskset -c "$core" openssl speed -mr -seconds "$seconds" -primes "$1" rsa2048 2>/dev/null)
  else
    out=$(taskset -c "$core" openssl speed -mr -seconds "$seconds" -primes "$1" rsa2048 2>/dev/null)
  fi
  # -mr ends with "+F2:<n>:<bits>:<signs per second>:<verifies per second>"
  awk -F: '/^\+F2:/ { printf "%.0f\n", $4 }' <<<"$out"
}

echo "openssl: $(openssl version)"
grep -q avx512ifma /proc/cpuinfo && echo "cpu: has AVX-512 IFMA" || echo "cpu: no AVX-512 IFMA"
for mode in default no-ifma; do
  cap=""
  [ "$mode" = no-ifma ] && cap=":~0x200000"  # CPUID.7.EBX bit 21 (AVX512IFMA), second word
  two=() three=()
  for _ in $(seq "$rounds"); do
    two+=("$(sign_rate 2 "$cap")")
    three+=("$(sign_rate 3 "$cap")")
  done
  m2=$(echo "${two[@]}" | median)
  m3=$(echo "${three[@]}" | median)
  printf '%-8s 2 primes %6s sign/s   3 primes %6s sign/s   3/2 = %s   (rounds: %s | %s)\n' \
    "$mode" "$m2" "$m3" "$(ratio "$m3" "$m2")" "${two[*]}" "${three[*]}"
done
