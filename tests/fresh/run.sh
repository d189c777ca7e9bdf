#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/fresh/run.sh CACHEDIR
#
# A new user's first hour, on a clean Debian 12 root (root.sh, cached in
# CACHEDIR), with a clone of the current commit (uncommitted changes are
# not tested).  Two scenarios, each in its own pristine copy of the root:
#
#   readme  the README's "Install on a Raspberry Pi" commands, read from
#           README.md itself (the block marked test-fresh: pi-build-install),
#           then `penctld --check-config` and `penctl --help` as installed;
#   make    the README's make prerequisite (block test-fresh: make), then
#           `make build`; it must need no test package (no cmocka).
#
# The README's "start the service" block needs a booted system (systemctl
# --now, udevadm control) and is not run here; the VM suite starts the
# service.  Each step prints one line; a failing step says which, prints
# the end of its output and fails the run.  Needs root (chroot, mount).
# Downloaded .debs are kept in CACHEDIR/apt-archives between runs.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 CACHEDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)

if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi

mkdir -p "$1"
cache=$(cd "$1" && pwd -P)
commit=$(git -C "$src" rev-parse HEAD)
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	echo "fresh: note: uncommitted changes are not tested (commit $commit is)"

run_start=$(date +%s)
pristine=$("$here/root.sh" "$cache")

# Copies left by a run that was killed (SIGKILL leaves no trap to run):
# unmount what it left mounted, then remove them.
for old in "$cache"/run-*; do
	[ -d "$old" ] || continue
	pid=${old#"$cache"/run-}
	pid=${pid%%-*}
	kill -0 "$pid" 2>/dev/null && continue
	for m in $(findmnt -rn -o TARGET | grep "^$old/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	findmnt -rn -o TARGET | grep -q "^$old/" || rm -rf "$old"
done
archives="$cache/apt-archives"
mkdir -p "$archives/partial"

work=""      # the current scenario's root copy
log=""       # its log
mounted=""   # its mount points, innermost first

unmount_all() {
	for m in $mounted; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	mounted=""
}

# Removes the current copy, but never while anything is still mounted
# under it (a bind mount would take the host's files with it).
cleanup() {
	unmount_all
	[ -n "$work" ] || return 0
	if findmnt -rn -o TARGET | grep -q "^$work/"; then
		echo "fresh: $work still has mounts; not removing it" >&2
		return 1
	fi
	rm -rf "$work"
	work=""
}
trap 'cleanup' EXIT
trap 'echo "fresh: interrupted; cleaning up"; exit 130' INT
trap 'echo "fresh: terminated; cleaning up"; exit 143' TERM

mount_in() { # TYPE-ARGS... TARGET (the last argument)
	for target; do :; done
	mount "$@"
	mounted="$target $mounted"
}

# A pristine copy of the cached root with what a booted machine has mounted:
# /proc, a private /dev (device nodes made here; the host's /dev is not
# shared), /dev/pts; and the shared download cache.
prepare() {
	name=$1
	work="$cache/run-$$-$name"
	log="$cache/$name.log"
	: >"$log"
	cp -a "$pristine" "$work"
	mount_in -t proc proc "$work/proc"
	mount_in -t tmpfs -o mode=0755,nosuid tmpfs "$work/dev"
	for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
		set -- $n
		mknod -m 0666 "$work/dev/$1" c "$2" "$3"
	done
	mkdir "$work/dev/pts" "$work/dev/shm"
	mount_in -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$work/dev/pts"
	ln -s pts/ptmx "$work/dev/ptmx"
	ln -s /proc/self/fd "$work/dev/fd"
	mount_in --bind "$archives" "$work/var/cache/apt/archives"
	# apt downloads as _apt into partial/.
	chown "$(awk -F: '$1 == "_apt" { print $3 }' "$work/etc/passwd")" \
		"$work/var/cache/apt/archives/partial"
	# The person at the keyboard answers apt's "Do you want to continue?"
	# with yes.  Two settings only make dpkg faster, not different: no
	# fsync per file (the copy is thrown away) and no man page index
	# (man-db's trigger takes a minute on a busy machine).
	printf 'APT::Get::Assume-Yes "true";\nDpkg::Use-Pty "false";\n' \
		>"$work/etc/apt/apt.conf.d/90penctld-test-fresh"
	printf 'force-unsafe-io\n' >"$work/etc/dpkg/dpkg.cfg.d/90penctld-test-fresh"
	echo 'man-db man-db/auto-update boolean false' |
		chroot "$work" debconf-set-selections
	git clone -q --no-checkout "$src" "$work/root/penctld"
	git -C "$work/root/penctld" checkout -q --detach "$commit"
	printf '%s\n' "$(hostname)" >"$work/etc/hostname"
}

# step SCENARIO DESCRIPTION COMMAND: COMMAND runs in the copy, as root, in
# the clone, with a login-like environment.
step() {
	scenario=$1 what=$2 cmd=$3
	t0=$(date +%s)
	printf '== %s: %s\n' "$scenario" "$what" >>"$log"
	if chroot "$work" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb CMAKE_BUILD_PARALLEL_LEVEL=2 JOBS=2 \
		/bin/bash -c "cd /root/penctld && $cmd" </dev/null >>"$log" 2>&1; then
		printf 'fresh: %-6s ok    %4s s  %s\n' "$scenario" "$(($(date +%s) - t0))" "$what"
	else
		rc=$?
		printf 'fresh: %-6s FAIL  %4s s  %s (exit %s)\n' "$scenario" "$(($(date +%s) - t0))" "$what" "$rc"
		tail -n 25 "$log" | sed 's/^/    /'
		echo "fresh: FAILED in scenario $scenario at: $what (whole log: $log)"
		exit 1
	fi
}

# Both blocks are read before anything runs, so a broken README fails fast.
# The README of the commit under test, not of the work tree.
readme="$cache/README-$$.md"
git -C "$src" show "$commit:README.md" >"$readme"
readme_steps=$("$here/readme-block.sh" "$readme" pi-build-install) || exit 1
make_steps=$("$here/readme-block.sh" "$readme" make) || exit 1
rm -f "$readme"

# --- scenario readme: the Raspberry Pi install, verbatim -----------------
prepare readme
printf '%s\n' "$readme_steps" | while IFS= read -r line; do
	step readme "README: $line" "$line"
done || exit 1
step readme "penctld --check-config (as installed)" "penctld --check-config"
step readme "penctl --help (as installed)" "penctl --help"
cleanup

# --- scenario make: make build from the clean clone ---------------------
prepare make
printf '%s\n' "$make_steps" | while IFS= read -r line; do
	step make "README: $line" "$line"
done || exit 1
step make "make build" "make build"
step make "the build needed no test package" \
	"! dpkg-query -W -f='\${Status}\n' libcmocka-dev python3-dbusmock qemu-system-x86 2>/dev/null | grep -q 'ok installed'"
step make "_build/daemon/penctld --check-config" \
	"_build/daemon/penctld --check-config --config daemon/penctld.conf"
step make "_build/cli/penctl --help" "_build/cli/penctl --help"
cleanup

echo "fresh: all steps passed in $(($(date +%s) - run_start)) s (commit $commit)"
