#!/bin/bash
# build-debs.sh SRCDIR OUTDIR
#
# The Debian packages penctld and penctld-sim of the tree SRCDIR as it is
# (uncommitted changes included), for the whole-system tests to install in
# the VM (run-vm.sh --debs OUTDIR): ctest's fixture system/deb runs it once
# per test run.  Like `make deb`, from a copy of the tree (dpkg-buildpackage
# writes debian/ and obj-*/ in place), but without the unit tests (they run
# on their own in `make test`; DEB_BUILD_OPTIONS=nocheck) and without
# lintian (`make deb` checks the packaging).
#
# Leaves OUTDIR/penctld_*.deb, penctld-sim_*.deb and build.log; on failure
# prints the log's tail.  A build costs minutes: when OUTDIR already holds
# the packages of exactly these source files (the same names, contents,
# modes and times: a checksum of the tree's tar stream, OUTDIR/source-key),
# they are kept.
set -u
die() { echo "build-debs: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 SRCDIR OUTDIR"
SRCDIR=$(cd "$1" && pwd) || die "no source tree $1"
OUTDIR=$2
command -v dpkg-buildpackage >/dev/null || die "dpkg-buildpackage missing: tools/install-deps.sh deb"

mkdir -p "$OUTDIR" || die "cannot make $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
log=$OUTDIR/build.log

# OUTDIR may lie inside the tree (a build directory in the clone).
inside=
case "$OUTDIR/" in "$SRCDIR"/*) inside=--exclude=./${OUTDIR#"$SRCDIR"/} ;; esac
source_tar() {
	tar -C "$SRCDIR" --sort=name --exclude=./.git --exclude='./_*' --exclude='./build*' \
		--exclude='./obj-*' --exclude=./debian/tmp --exclude=./debian/.debhelper \
		--exclude=./debian/penctld --exclude=./debian/penctld-sim $inside -cf - .
}
key=$(source_tar | sha256sum | cut -d' ' -f1)
if [ "$(cat "$OUTDIR/source-key" 2>/dev/null)" = "$key" ] &&
	ls "$OUTDIR"/penctld_*.deb "$OUTDIR"/penctld-sim_*.deb >/dev/null 2>&1; then
	echo "build-debs: the packages in $OUTDIR are of this source already (source-key $key)"
	exit 0
fi

find "$OUTDIR" -mindepth 1 -delete
mkdir "$OUTDIR/src"
start=$(date +%s)
source_tar | tar -C "$OUTDIR/src" -xf - || die "copying $SRCDIR"

jobs=$(nproc)
[ "$jobs" -gt 2 ] && jobs=2
if ! (cd "$OUTDIR/src" && DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b -Pnocheck -j"$jobs") >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "dpkg-buildpackage failed (log: $log)"
fi
rm -rf "$OUTDIR/src"
echo "$key" >"$OUTDIR/source-key"
ls "$OUTDIR"/penctld_*.deb "$OUTDIR"/penctld-sim_*.deb >/dev/null 2>&1 ||
	die "dpkg-buildpackage made no penctld and penctld-sim packages in $OUTDIR"
echo "build-debs: $(cd "$OUTDIR" && ls ./*.deb | tr '\n' ' ')in $(( $(date +%s) - start )) s"
