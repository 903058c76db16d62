#!/usr/bin/env bash
# Builds a bootable Raspberry Pi SD card image without root or loop devices:
#   tools/mksdcard.sh <rpi3b|rpi4b> <kernel8.img> <board.dtb> <out.img> [initrd]
#
# Layout: a 64 MiB image with an MBR holding one FAT32 partition (type 0x0c, LBA) from 1 MiB
# (sector 2048) to the end. The partition holds the VideoCore firmware from Debian's
# raspi-firmware package, config.txt, cmdline.txt, kernel8.img, the DTB and, when given, the
# initrd. sfdisk writes the partition table into the file; mtools formats and fills the
# partition through its "image@@offset" syntax.
#
# The output is byte-for-byte reproducible: a fixed disk identifier and volume serial per board
# (distinct, so that two cards in one machine get distinct PARTUUIDs), and every FAT timestamp
# taken from SOURCE_DATE_EPOCH (default: 2000-01-01, the FAT epoch is 1980).
#
# Environment:
#   FIRMWARE_DIR    where bootcode.bin/start*.elf/fixup*.dat live
#                   (default: build/deps/raspi-firmware/usr/lib/raspi-firmware, which
#                   `SETUP_FIRMWARE=1 tools/setup.sh` extracts)
#   SDCARD_CMDLINE  appended to cmdline.txt after the DTB's /chosen/bootargs
#   SOURCE_DATE_EPOCH  timestamp of every file in the FAT (seconds since 1970)
set -euo pipefail

die() { echo "mksdcard: $*" >&2; exit 1; }

[ $# -ge 4 ] && [ $# -le 5 ] ||
	die "usage: $0 <rpi3b|rpi4b> <kernel8.img> <board.dtb> <out.img> [initrd]"

board=$1 kernel=$2 dtb=$3 out=$4 initrd=${5:-}
top=$(cd "$(dirname "$0")/.." && pwd)
fwdir=${FIRMWARE_DIR:-$top/build/deps/raspi-firmware/usr/lib/raspi-firmware}

# Per-board firmware and the settings that keep the console UART's clock fixed.
case $board in
rpi3b)
	disk_id=52506933 # "RPi3"; tools/check_sdcard.py checks it
	firmware=(bootcode.bin start.elf fixup.dat)
	soc_compat=brcm,bcm2837
	# The mini UART runs from the VPU core clock. enable_uart=1 alone locks the clock at
	# the maximum core frequency (400 MHz on current firmware) and throttling drops it to
	# the minimum; pinning both to 250 MHz gives the rate the DTB's clk-vpu states.
	board_config=$'core_freq=250\ncore_freq_min=250'
	;;
rpi4b)
	disk_id=52506934 # "RPi4"
	firmware=(start4.elf fixup4.dat)
	soc_compat=brcm,bcm2711
	# On the Pi 4 the firmware locks the core clock at its 500 MHz maximum when the mini
	# UART is enabled; core_freq_min keeps throttling from lowering it. The GIC and the
	# low-peripheral address map are the defaults; the DTB's /soc ranges depend on both.
	board_config=$'core_freq=500\ncore_freq_min=500\nenable_gic=1\narm_peri_high=0'
	;;
*)
	die "unknown board '$board' (expected rpi3b or rpi4b)"
	;;
esac

[ -f "$kernel" ] || die "kernel image '$kernel' not found"
[ -f "$dtb" ] || die "device tree blob '$dtb' not found"
[ -z "$initrd" ] || [ -f "$initrd" ] || die "initrd '$initrd' not found"
for f in "${firmware[@]}"; do
	[ -f "$fwdir/$f" ] ||
		die "firmware file $fwdir/$f missing: run 'SETUP_FIRMWARE=1 tools/setup.sh' (or set FIRMWARE_DIR)"
done
for t in sfdisk mformat mcopy fdtget; do
	command -v $t >/dev/null || die "'$t' not found: run tools/setup.sh (mtools, fdisk, device-tree-compiler)"
done

# A kernel without the arm64 Image header is not started as a 64-bit kernel by the firmware.
magic=$(od -An -tx1 -j56 -N4 "$kernel" | tr -d ' \n')
[ "$magic" = 41524d64 ] || die "'$kernel' has no arm64 Image header (magic 'ARM\\x64' at 0x38)"

compat=$(fdtget -t s "$dtb" / compatible 2>/dev/null) || die "'$dtb' is not a valid DTB"
case " $compat " in
*" $soc_compat "*) ;;
*) die "'$dtb' is for '$compat', not a $board ($soc_compat)" ;;
esac
bootargs=$(fdtget -t s "$dtb" /chosen bootargs 2>/dev/null || true)

dtb_name=$(basename "$dtb")
case $dtb_name in
*[!A-Za-z0-9._-]*) die "DTB file name '$dtb_name' may hold only letters, digits, '.', '_' and '-'" ;;
esac

# Geometry: 64 MiB image, partition from sector 2048 (1 MiB, aligned for flash erase blocks)
# to the end. 126 Ki clusters of one sector keep it a valid FAT32 (>= 65525 clusters).
image_mib=64
part_start=2048
part_sectors=$(( image_mib * 2048 - part_start ))
offset=$(( part_start * 512 ))

payload=0
for f in "$kernel" "$dtb" ${initrd:+"$initrd"} "${firmware[@]/#/$fwdir/}"; do
	payload=$(( payload + $(stat -c %s "$f") ))
done
# The FAT and its directory take about 1 MiB of the 63 MiB partition.
[ $payload -le $(( 61 * 1024 * 1024 )) ] ||
	die "kernel, DTB, initrd and firmware total $payload bytes: more than the ${image_mib} MiB image holds"

# Built next to the output and renamed into place: no half-written image survives a failure.
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$(dirname "$out")/.mksdcard.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
img=$tmp/sdcard.img

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-946684800}
# The image has no drive letter in mtools.conf; skip mtools' media sanity checks.
export MTOOLS_SKIP_CHECK=1

truncate -s ${image_mib}M "$img"
# The label-id is the MBR disk signature; Linux shows it as PARTUUID=$disk_id-01.
sfdisk --no-reread --no-tell-kernel -q "$img" >/dev/null <<EOF || die "sfdisk failed"
label: dos
label-id: 0x$disk_id
unit: sectors

start=$part_start, size=$part_sectors, type=c
EOF

mformat -i "$img@@$offset" -F -c 1 -T $part_sectors -h 64 -s 32 -H $part_start \
	-N $disk_id -v RPIBOOT :: || die "mformat failed"

# Stage every file with a fixed mtime; mcopy -m carries it into the directory entry.
stage=$tmp/stage
mkdir "$stage"
for f in "${firmware[@]}"; do
	cp "$fwdir/$f" "$stage/$f"
done
cp "$kernel" "$stage/kernel8.img"
cp "$dtb" "$stage/$dtb_name"

{
	echo "# $board boot configuration, written by tools/mksdcard.sh."
	echo "# Console: the mini UART on GPIO14 (TXD, header pin 8) and GPIO15 (RXD, pin 10), 115200 8N1."
	echo "arm_64bit=1"
	echo "kernel=kernel8.img"
	echo "device_tree=$dtb_name"
	echo "enable_uart=1"
	echo "$board_config"
	if [ -n "$initrd" ]; then
		echo "initramfs initrd.img followkernel"
	fi
} > "$stage/config.txt"

# The firmware replaces /chosen/bootargs with cmdline.txt, so cmdline.txt starts with the
# DTB's own bootargs. It names no console=: the firmware rewrites serial0/serial1/ttyAMA0 on
# the command line by its own numbering, while /chosen/stdout-path reaches the kernel intact.
cmdline="$bootargs${SDCARD_CMDLINE:+ $SDCARD_CMDLINE}"
printf '%s\n' "${cmdline# }" > "$stage/cmdline.txt"

files=("${firmware[@]}" config.txt cmdline.txt kernel8.img "$dtb_name")
if [ -n "$initrd" ]; then
	cp "$initrd" "$stage/initrd.img"
	files+=(initrd.img)
fi
for f in "${files[@]}"; do
	touch -d "@$SOURCE_DATE_EPOCH" "$stage/$f"
	mcopy -m -o -i "$img@@$offset" "$stage/$f" "::$f" || die "mcopy $f failed"
done

mv "$img" "$out"
echo "mksdcard: $out ($board, ${files[*]})"
