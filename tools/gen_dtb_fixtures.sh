#!/usr/bin/env bash
# Writes the device trees the host DT-memory tests and the fuzzer's seed corpus use, into
# build/fixtures/ (or $1): QEMU virt's own DTB at several RAM sizes, with NUMA nodes and at
# EL2, dumped with -M virt,dumpdtb=, and the project's Raspberry Pi DTS files compiled by dtc.
# Idempotent: a DTB is only rebuilt when missing (or older than its DTS); quiet when nothing
# is to be done. Board DTS files that do not exist (yet) are skipped.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/fixtures}
mkdir -p "$out"

qemu=${QEMU:-qemu-system-aarch64}
dtc=${DTC:-dtc}

# name | machine options after "virt" | QEMU arguments. QEMU 10 rejects -numa node,mem=: the
# two 512 MiB nodes get their RAM from memory backends instead.
virt_fixtures=(
	"virt-128m||-m 128M"
	"virt-1g||-m 1G"
	"virt-4g||-m 4G"
	"virt-16g||-m 16G"
	"virt-numa||-m 1G -smp 2 -object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M -numa node,memdev=m0,cpus=0 -numa node,memdev=m1,cpus=1"
	"virt-el2|,virtualization=on|-m 1G"
)

for f in "${virt_fixtures[@]}"; do
	IFS='|' read -r name mopts args <<<"$f"
	dtb=$out/$name.dtb
	[ -s "$dtb" ] && continue
	echo "  QEMU    $dtb"
	# shellcheck disable=SC2086
	"$qemu" -M "virt$mopts,dumpdtb=$dtb.tmp" -cpu cortex-a72 $args -nodefaults -display none \
		>/dev/null 2>"$dtb.log" || { cat "$dtb.log" >&2; rm -f "$dtb.tmp" "$dtb.log"; exit 1; }
	mv "$dtb.tmp" "$dtb"
	rm -f "$dtb.log"
done

for dts in "$top"/board/rpi3b/rpi3b.dts "$top"/board/rpi4b/rpi4b-1g.dts \
	   "$top"/board/rpi4b/rpi4b-2g.dts "$top"/board/rpi4b/rpi4b-4g.dts \
	   "$top"/board/rpi4b/rpi4b-8g.dts; do
	[ -f "$dts" ] || continue
	dtb=$out/$(basename "$dts" .dts).dtb
	newest=$dts
	for inc in "$(dirname "$dts")"/*.dtsi; do
		[ -f "$inc" ] && [ "$inc" -nt "$newest" ] && newest=$inc
	done
	[ -s "$dtb" ] && [ "$dtb" -nt "$newest" ] && continue
	echo "  DTC     $dtb"
	"$dtc" -q -I dts -O dtb -o "$dtb.tmp" "$dts"
	mv "$dtb.tmp" "$dtb"
done
exit 0
