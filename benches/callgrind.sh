#!/usr/bin/env bash
# Instructions per byte of the decoder (with URC classification, as a client runs it) and of a
# memchr line scan, for every benchmark stream and read size, counted by callgrind: the same
# numbers on every machine with the same toolchain.
#
#   bash benches/callgrind.sh                 # all streams, reads of 1, 64 bytes and whole
#   bash benches/callgrind.sh quectel_mqtt 64 # one stream, the given read sizes
#   CODEC_ONLY=1 bash benches/callgrind.sh    # without the client-level rows
#
# Needs valgrind. Each count has the `none` run (which only builds the stream) subtracted.
# The binary is built with the bench profile (release + LTO); its output lands in
# target/release/examples/ (or under $CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

streams=(quectel_mqtt short_urcs luat_mqtt)
reads=(1 64 whole)
if [[ $# -ge 1 ]]; then streams=("$1"); shift; fi
if [[ $# -ge 1 ]]; then reads=("$@"); fi

command -v valgrind >/dev/null || { echo "valgrind not found" >&2; exit 1; }
# The bench profile: release with LTO and one codegen unit, as criterion and a firmware build.
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --quiet --profile bench --example stream_pass
bin="${CARGO_TARGET_DIR:-target}/release/examples/stream_pass"

# Instructions executed by one run.
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '%-16s %6s %10s %10s %8s\n' stream read decoder memchr ratio
for s in "${streams[@]}"; do
  bytes=$("$bin" "$s" none 1 | cut -d' ' -f1)
  base=$(count "$s" none 1)
  for r in "${reads[@]}"; do
    dec=$(count "$s" decode "$r")
    mem=$(count "$s" memchr "$r")
    awk -v s="$s" -v r="$r" -v b="$bytes" -v base="$base" -v d="$dec" -v m="$mem" 'BEGIN {
      di = (d - base) / b; mi = (m - base) / b
      printf "%-16s %6s %10.2f %10.2f %8.1f\n", s, r, di, mi, (mi > 0 ? di / mi : 0)
    }'
  done
done
# The client path: bytes -> Client<_, _, Quectel> -> mqtt_next_message, against the codec
# alone on the same stream (instructions per byte and per delivered message).
if [[ -z "${CODEC_ONLY:-}" ]]; then
  printf '\n%-16s %6s %10s %10s %8s %12s\n' stream read client codec ratio per_message
  for s in quectel_client quectel_client16; do
    bytes=$("$bin" "$s" none 1 | cut -d' ' -f1)
    base=$(count "$s" none 1)
    cli=$(count "$s" client 64)
    dec=$(count "$s" decode 64)
    n=$("$bin" "$s" messages 1 | sed -n 's/.*checksum \([0-9]*\).*/\1/p')
    awk -v s="$s" -v b="$bytes" -v base="$base" -v c="$cli" -v d="$dec" -v n="$n" 'BEGIN {
      ci = (c - base) / b; di = (d - base) / b
      printf "%-16s %6s %10.2f %10.2f %8.2f %12.0f\n", s, 64, ci, di, ci / di, (c - base) / n
    }'
  done
fi
echo "(instructions per byte; stream sizes in bytes: $(for s in "${streams[@]}"; do printf '%s=%s ' "$s" "$("$bin" "$s" none 1 | cut -d' ' -f1)"; done))"
