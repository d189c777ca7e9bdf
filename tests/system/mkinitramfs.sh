#!/bin/sh
# mkinitramfs.sh CACHEDIR KERNEL_VERSION
#
# Builds CACHEDIR/initramfs-KV.cpio.gz: static busybox, the modules needed to
# reach the host's root over virtio-9p and stack an overlay on it (and to
# mount a persistent ext4 disk), and
# guest/initramfs-init as /init.  Rebuilt only when an input changed.
set -eu

die() { echo "mkinitramfs: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 CACHEDIR KERNEL_VERSION"
CACHE=$1
KV=$2
HERE=$(cd "$(dirname "$0")" && pwd)
INIT="$HERE/guest/initramfs-init"
OUT="$CACHE/initramfs-$KV.cpio.gz"
BUSYBOX=/bin/busybox

[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (package busybox-static)"
file_is_static() { ! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'INTERP'; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (install busybox-static)"

if [ -f "$OUT" ] && [ "$OUT" -nt "$INIT" ] && [ "$OUT" -nt "$0" ] &&
	[ "$OUT" -nt "$BUSYBOX" ] && [ "$OUT" -nt "/lib/modules/$KV/modules.dep" ]; then
	echo "mkinitramfs: initramfs cached"
	exit 0
fi

echo "mkinitramfs: building $OUT"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/lower" \
	"$root/rw" "$root/newroot" "$root/modules"
cp "$BUSYBOX" "$root/bin/busybox"
cp "$INIT" "$root/init"
chmod 755 "$root/init"

# The insmod lines in dependency order, as modprobe would run them.
# virtio_blk and ext4: the persistent disk of run-vm.sh --disk.
modprobe -a -S "$KV" --show-depends virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4 \
	>"$root/modules.deps" ||
	die "modprobe --show-depends failed for $KV"
: >"$root/modules/order"
while read -r verb path _; do
	[ "$verb" = insmod ] || continue
	name=$(basename "$path")
	grep -qx "$name" "$root/modules/order" && continue
	case "$path" in
	*.ko) cp "$path" "$root/modules/$name" ;;
	*.ko.xz) xz -dc "$path" >"$root/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$path" >"$root/modules/${name%.zst}"; name=${name%.zst} ;;
	*) die "unexpected module file $path" ;;
	esac
	echo "$name" >>"$root/modules/order"
done <"$root/modules.deps"
rm "$root/modules.deps"
[ -s "$root/modules/order" ] || die "no modules found for $KV"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "mkinitramfs: $(wc -l <"$root/modules/order") modules, $(du -k "$OUT" | cut -f1) KiB"
