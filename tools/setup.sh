#!/usr/bin/env bash
# Installs what building and testing the kernel needs on a Debian 12 machine, idempotently.
# Quiet when everything is present; otherwise it says what it installs, downloads and changes
# on the system before doing it. Called by `make`, `make run`, `make test` and friends (the
# `deps` target); safe to rerun. Without root it changes nothing on the system: it says what
# is missing and the exact command to run.
#
# What it guarantees afterwards:
#   - clang/lld 14, dtc, host libfdt, doctest, gdb-multiarch, mtools/sfdisk, ASan/fuzzer runtime
#   - qemu-system-aarch64 >= 9 (from bookworm-backports, added with the machine's own archive URI)
#   - build/deps/arm64: Debian's libfdt-dev:arm64 static library, extracted, for the kernel link
#   - SETUP_LINUX_DTBS=1 (make test): build/deps/linux-dtbs, Linux's own Pi DTBs from Debian's
#     arm64 kernel package (about 57 MiB downloaded, extracted, never installed)
#   - SETUP_BENCH=1 (make bench): also that package's kernel Image in build/deps/linux-image
#   - SETUP_FIRMWARE=1 (make sdcard): build/deps/raspi-firmware, Debian's raspi-firmware files,
#     extracted (never installed: its maintainer scripts want to manage /boot/firmware)
#   - SETUP_CROSS=1 (make test): Debian's aarch64 glibc cross compiler and qemu-user
#   - SETUP_INITRAMFS=1 (make initramfs): the arm64 architecture and package lists, for
#     tools/mkinitramfs.py's apt-get download of arm64 .debs
#   - SETUP_VERBOSE=1: say so when everything is present
#
# What it may change on the system (as root only, each announced first): apt packages
# (apt-get install), one apt sources file (/etc/apt/sources.list.d/kernel-project.sources:
# bookworm-backports main and bookworm non-free-firmware), and the arm64 dpkg foreign
# architecture (dpkg --add-architecture arm64, so that apt downloads arm64 packages).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps=$top/build/deps
quiet=${SETUP_VERBOSE:-0}

log() { echo "setup: $*" >&2; }

is_root() { [ "$(id -u)" = 0 ]; }

# The exact command that redoes this run as root, with the same SETUP_* options.
root_command() {
	local envs=() v
	for v in SETUP_LINUX_DTBS SETUP_BENCH SETUP_FIRMWARE SETUP_CROSS SETUP_INITRAMFS; do
		[ "${!v:-0}" = 0 ] || envs+=("$v=${!v}")
	done
	echo "sudo ${envs[*]:+env ${envs[*]} }$top/tools/setup.sh"
}

need_root() {
	is_root && return 0
	log "$* needs root, and this is uid $(id -u); nothing on the system was changed."
	log "run:  $(root_command)"
	log "then run make again (setup then says nothing and the build goes on)."
	exit 1
}

# Run as root in a checkout someone else owns (sudo make ...): what setup creates in build/
# belongs to the checkout's owner, so that their own builds can write next to it.
fix_ownership() {
	is_root || return 0
	local owner
	owner=$(stat -c %u:%g "$top")
	[ "$owner" != 0:0 ] || return 0
	[ -d "$top/build" ] && chown "$owner" "$top/build"
	[ -d "$deps" ] && chown -R "$owner" "$deps"
	return 0
}
trap fix_ownership EXIT

# QEMU >= 9 is needed for raspi4b; bookworm's own is 7.2.
qemu_ok() {
	command -v qemu-system-aarch64 >/dev/null 2>&1 || return 1
	local v
	v=$(qemu-system-aarch64 --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p' | head -1)
	[ -n "$v" ] && [ "$v" -ge 9 ]
}

host_pkgs=(clang lld llvm device-tree-compiler libfdt-dev doctest-dev gdb-multiarch mtools fdisk
	   dosfstools libclang-rt-14-dev cpio python3 bmap-tools)

missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

archive_uri() {
	# The machine's own Debian archive (not the security one), from deb822 or one-line sources.
	local u
	u=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -1 || true)
	[ -n "$u" ] || u=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -1 || true)
	echo "${u:-http://deb.debian.org/debian}"
}

# Runs a command with its output kept in a log that is shown only if it fails.
run_quiet() {
	local log
	log=$(mktemp)
	if ! "$@" >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		log "failed: $*"
		exit 1
	fi
	rm -f "$log"
}

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return 0
	# Without root the package lists are used as they are (apt-get download works, update not).
	is_root || return 0
	run_quiet apt-get update -qq
	apt_updated=1
}

# apt-get download into the current directory. Root downloads unsandboxed into a private temp
# dir; say so instead of letting apt warn.
apt_download() {
	if is_root; then
		run_quiet apt-get download -o APT::Sandbox::User=root "$@"
	else
		run_quiet apt-get download "$@"
	fi
}

# "12.3 MiB" / "31 KiB": a package's download size, from the package lists.
pkg_size() {
	local b
	b=$(apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Size: //p' | head -1)
	[ -n "$b" ] || { echo "size unknown"; return 0; }
	if [ "$b" -ge 1048576 ]; then
		echo "$(( (b + 524288) / 1048576 )) MiB"
	else
		echo "$(( (b + 1023) / 1024 )) KiB"
	fi
}

ensure_sources() {
	local f=/etc/apt/sources.list.d/kernel-project.sources
	[ -f $f ] && return 0
	need_root "adding the apt sources bookworm-backports and non-free-firmware"
	local uri
	uri=$(archive_uri)
	log "adding apt sources $f: bookworm-backports main (QEMU >= 9) and bookworm"
	log "  non-free-firmware (raspi-firmware), from $uri"
	cat > $f <<EOS
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: bookworm
Components: non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	apt_updated=0
}

ensure_arm64_arch() {
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	need_root "adding the arm64 dpkg architecture"
	log "adding the dpkg foreign architecture arm64 (dpkg --add-architecture arm64): apt then"
	log "  also lists arm64 packages, so that arm64 .debs can be downloaded and extracted"
	dpkg --add-architecture arm64
	apt_updated=0
}

export DEBIAN_FRONTEND=noninteractive

if [ ${#missing[@]} -gt 0 ] || ! qemu_ok; then
	what=${missing[*]}
	qemu_ok || what="${what:+$what, }qemu-system-aarch64 >= 9"
	is_root || log "missing: $what"
	need_root "installing packages"
	ensure_sources
	apt_update
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		run_quiet apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	if ! qemu_ok; then
		log "installing qemu-system-arm from bookworm-backports"
		run_quiet apt-get install -y -qq --no-install-recommends -t bookworm-backports \
			qemu-system-arm qemu-utils
	fi
fi
qemu_ok || { log "qemu-system-aarch64 >= 9 not available"; exit 1; }

# Debian archives extracted into the build tree, never installed on the host.
extract_deb() { # name dest marker
	local pkg=$1 dest=$2 marker=$3
	[ -e "$dest/$marker" ] && return 0
	ensure_sources
	[ "$pkg" = "${pkg%:arm64}" ] || ensure_arm64_arch
	apt_update
	log "downloading $pkg ($(pkg_size "$pkg")), extracted into ${dest#$top/}, not installed"
	local tmp
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && apt_download "$pkg"); then
		rm -rf "$tmp"
		is_root || need_root "downloading $pkg (apt-get update first)"
		exit 1
	fi
	mkdir -p "$dest"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$dest"; done
	rm -rf "$tmp"
	[ -e "$dest/$marker" ] || { log "$pkg: $marker not found after extraction"; exit 1; }
}

extract_deb libfdt-dev:arm64 "$deps/arm64" usr/lib/aarch64-linux-gnu/libfdt.a
# Files from Debian's arm64 Linux kernel package, never installed: Linux's own Raspberry Pi
# DTBs (what the firmware hands a Linux kernel), for the test that this kernel boots with them
# as with the project's DTS (SETUP_LINUX_DTBS=1, make test); and, with SETUP_BENCH=1 (`make
# bench`, and tools/run_tests.py, which runs the EL0 suite and a user fault on it), the Linux
# Image that runs the same programs side by side.
linux_pkg_files() {
	local dtbs=$deps/linux-dtbs img=$deps/linux-image
	local want_img=${SETUP_BENCH:-0}
	{ [ "${SETUP_LINUX_DTBS:-0}" = 1 ] || [ "$want_img" = 1 ]; } || return 0
	if [ -e "$dtbs/bcm2711-rpi-4-b.dtb" ] && [ -e "$dtbs/bcm2837-rpi-3-b.dtb" ] &&
		{ [ "$want_img" != 1 ] || [ -e "$img/Image" ]; }; then
		return 0
	fi
	ensure_sources
	ensure_arm64_arch
	apt_update
	local pkg
	pkg=$(apt-cache search --names-only '^linux-image-[0-9.]+-[0-9]+-arm64-unsigned$' | cut -d' ' -f1 |
		sort -V | tail -1)
	[ -n "$pkg" ] || { log "no linux-image-*-arm64-unsigned package found"; exit 1; }
	log "downloading $pkg:arm64 ($(pkg_size "$pkg:arm64")) for Linux's Pi DTBs$([ "$want_img" = 1 ] &&
		echo " and its kernel Image (make bench)"), extracted into build/deps, not installed"
	local tmp
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && apt_download "$pkg:arm64"); then
		rm -rf "$tmp"
		is_root || need_root "downloading $pkg:arm64 (apt-get update first)"
		exit 1
	fi
	mkdir -p "$dtbs" "$tmp/x"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp/x" --wildcards \
		'*/broadcom/bcm2711-rpi-4-b.dtb' '*/broadcom/bcm2837-rpi-3-b.dtb' './boot/vmlinuz-*'
	find "$tmp/x" -name 'bcm2*.dtb' -exec cp {} "$dtbs/" \;
	if [ "$want_img" = 1 ]; then
		mkdir -p "$img"
		cp "$tmp"/x/boot/vmlinuz-* "$img/Image"
		echo "$pkg" > "$img/package"
	fi
	rm -rf "$tmp"
	[ -e "$dtbs/bcm2711-rpi-4-b.dtb" ] || { log "$pkg: the Pi DTBs were not found in it"; exit 1; }
}
linux_pkg_files

# SETUP_INITRAMFS=1 (make initramfs): tools/mkinitramfs.py downloads Debian's arm64 packages
# itself (apt-get download, no root); it needs the arm64 architecture and its package lists.
if [ "${SETUP_INITRAMFS:-0}" = 1 ]; then
	ensure_arm64_arch
	if ! apt-cache show --no-all-versions busybox-static:arm64 >/dev/null 2>&1; then
		apt_update
	fi
fi
if [ "${SETUP_FIRMWARE:-0}" = 1 ]; then
	extract_deb raspi-firmware "$deps/raspi-firmware" usr/lib/raspi-firmware/start4.elf
fi
# SETUP_CROSS=1: Debian's aarch64 glibc cross toolchain (static glibc test programs in
# user/glibc/) and qemu-user (qemu-aarch64 runs the user programs on this host as Linux would:
# `make user-qemu-test`).
if [ "${SETUP_CROSS:-0}" = 1 ]; then
	for p in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			need_root "installing $p"; ensure_sources; apt_update
			log "installing $p"
			run_quiet apt-get install -y -qq --no-install-recommends "$p"
		fi
	done
fi
[ "$quiet" = 1 ] && log "all dependencies present"
exit 0
