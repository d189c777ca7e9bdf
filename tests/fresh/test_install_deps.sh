#!/bin/bash
# test_install_deps.sh SRCDIR: tools/install-deps.sh with stand-ins for
# dpkg-query, apt-get and sudo on PATH (ctest unit/install-deps; nothing is
# installed):
#   1. a package whose triggers are pending (another apt-get is configuring
#      it) counts as installed: no apt-get;
#   2. a package not installed, or half-configured, is installed, with a
#      wait for dpkg's lock;
#   3. a second run waits for the first's lock, then finds its packages;
#   4. a user's run with the lock file root made (not writable) goes on.
set -u
src=${1:?usage: $0 SRCDIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
export PENCTL_INSTALL_DEPS_LOCK=$tmp/install-deps.lock
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# dpkg-query: the status of every package is "install installed", except
# those named in $tmp/status (lines "PACKAGE WANT STATUS").
cat >"$tmp/bin/dpkg-query" <<STANDIN
#!/bin/sh
pkg=\$(eval echo "\\\${\$#}")
line=\$(grep "^\$pkg " "$tmp/status" 2>/dev/null | head -n 1)
if [ -n "\$line" ]; then printf '%s' "\${line#* }"; else printf 'install installed'; fi
STANDIN
# apt-get: records its arguments; an install marks the packages installed.
cat >"$tmp/bin/apt-get" <<STANDIN
#!/bin/sh
echo "\$*" >>"$tmp/apt-calls"
case " \$* " in *" install "*) : >"$tmp/status" ;; esac
exit 0
STANDIN
printf '#!/bin/sh\nexec "$@"\n' >"$tmp/bin/sudo"
chmod +x "$tmp/bin/"*
run() { PATH=$tmp/bin:$PATH sh "$src/tools/install-deps.sh" "$@" </dev/null; }

# 1. triggers-pending and triggers-awaited are installed.
printf 'cmake install triggers-pending\nmake install triggers-awaited\n' >"$tmp/status"
out=$(run build 2>&1) || fail "build with triggers pending exited $?: $out"
[ ! -e "$tmp/apt-calls" ] || fail "apt-get ran for packages whose triggers are pending: $(cat "$tmp/apt-calls")"

# 2. not installed / half-configured: installed, waiting for dpkg's lock.
printf 'cmake unknown not-installed\nmake install half-configured\n' >"$tmp/status"
out=$(run build 2>&1) || fail "build with missing packages exited $?: $out"
grep -q '^penctld: installing Debian packages: cmake make$' <<<"$out" ||
	fail "the missing packages were not named: $out"
grep -q -- '-o DPkg::Lock::Timeout=[0-9]* install .* cmake make$' "$tmp/apt-calls" 2>/dev/null ||
	fail "apt-get install without a wait for dpkg's lock, or without the packages: $(cat "$tmp/apt-calls" 2>/dev/null)"

# 3. Another run holds the lock (it is installing; it says on a FIFO when
#    it has the lock): this one waits for it, then finds nothing missing.
rm -f "$tmp/apt-calls"
printf 'cmake unknown not-installed\n' >"$tmp/status"
mkfifo "$tmp/held"
flock "$PENCTL_INSTALL_DEPS_LOCK" sh -c "echo held >'$tmp/held'; sleep 1; : >'$tmp/status'" &
holder=$!
timeout 10 sh -c "read _ <'$tmp/held'" || fail "the holder did not say it holds the lock"
out=$(run build 2>&1) || fail "the waiting run exited $?: $out"
wait "$holder"
[ ! -e "$tmp/apt-calls" ] ||
	fail "the second run did not wait for the first, or installed what the first had: $(cat "$tmp/apt-calls")"

# 4. A user (not root) runs it after root made the lock file: it reads the
#    file it cannot write, and goes on (root only: it needs another user).
checks=3
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	checks=4
	rm -f "$tmp/apt-calls"
	: >"$tmp/status"
	chmod 755 "$tmp"
	chmod 644 "$PENCTL_INSTALL_DEPS_LOCK"
	out=$(PATH=$tmp/bin:$PATH setpriv --reuid=nobody --regid=nogroup --clear-groups \
		sh "$src/tools/install-deps.sh" build </dev/null 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] || fail "as a user, with root's lock file, it exited $rc: $out"
fi

[ "$failures" -eq 0 ] && echo "install-deps: $checks checks passed"
exit $((failures > 0))
