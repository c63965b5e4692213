#!/usr/bin/env bash
# Flash cost of the library on a Cortex-M4F: builds the probes (opt-level "z", LTO, one
# codegen unit, panic = "abort") and prints each one's .text and .rodata above the empty
# firmware of the same runtime, then the largest functions of each probe.
#
#   bash benches/size/size.sh          # all probes
#   bash benches/size/size.sh decoder  # one probe, with its 25 largest functions
#
# Needs the thumbv7em-none-eabihf target and binutils' readelf and nm (any ELF, any arch).
set -euo pipefail
cd "$(dirname "$0")"

probes=(decoder luat framer client thing ota)
if [[ $# -ge 1 ]]; then probes=("$@"); fi

if ! rustup target list --installed | grep -qx thumbv7em-none-eabihf; then
  rustup target add thumbv7em-none-eabihf
fi
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build --release --quiet
dir="${CARGO_TARGET_DIR:-target}/thumbv7em-none-eabihf/release"

# Size in bytes of section $2 of ELF $1.
section() {
  local hex
  hex=$(readelf -SW "$1" | sed -n "s/.*\] $2 *[A-Z_]* *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p")
  printf '%d' "0x${hex:-0}"
}

base_text=$(section "$dir/empty" .text)
base_ro=$(section "$dir/empty" .rodata)
printf '%-10s %8s %8s %14s %16s\n' probe .text .rodata '.text - empty' '.rodata - empty'
printf '%-10s %8d %8d %14s %16s\n' empty "$base_text" "$base_ro" - -
for p in "${probes[@]}"; do
  t=$(section "$dir/$p" .text)
  r=$(section "$dir/$p" .rodata)
  printf '%-10s %8d %8d %14d %16d\n' "$p" "$t" "$r" $((t - base_text)) $((r - base_ro))
done
# The client probe stores the size of its `Client` in section .ram_report.
for p in "${probes[@]}"; do
  if readelf -SW "$dir/$p" | grep -q '\.ram_report'; then
    word=$(readelf -x .ram_report "$dir/$p" | sed -n 's/^ *0x[0-9a-f]* \([0-9a-f]\{8\}\).*/\1/p' | head -1)
    # Little-endian word to a number.
    le=${word:6:2}${word:4:2}${word:2:2}${word:0:2}
    printf '\nRAM of the client in %s: %d bytes (size_of::<Client<..>>)\n' "$p" "0x$le"
  fi
done
for p in "${probes[@]}"; do
  echo
  echo "largest functions of $p (bytes):"
  nm -S --size-sort -C "$dir/$p" | tail -40 | while read -r _ size kind name; do
    [[ $kind == [tT] ]] && printf '%8d  %s\n' "0x$size" "$name"
  done | sed 's/::h[0-9a-f]\{16\}$//' | tail -25 | sort -rn
done
