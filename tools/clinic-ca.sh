#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tools/clinic-ca.sh DIR ca               the clinic's own certificate authority
# tools/clinic-ca.sh DIR server NAME      the clinic server's key and certificate
# tools/clinic-ca.sh DIR chair NAME       one chair's key and certificate
#
# The certificates of a clinic server (systemd-journal-remote) and its
# chairs (systemd-journal-upload), made with openssl; docs/clinic-server.md
# says how they are used.  DIR/ca.key signs every other certificate: keep
# DIR on the machine that made it (or offline), never on a chair.
#
# Each machine's files land in DIR/NAME/ under the paths where
# journal-remote.conf(5) and journal-upload.conf(5) look by default, so no
# path needs configuring:
#   server  DIR/NAME/etc/ssl/private/journal-remote.pem   its key
#           DIR/NAME/etc/ssl/certs/journal-remote.pem     its certificate
#           DIR/NAME/etc/ssl/ca/trusted.pem               the clinic CA
#   chair   DIR/NAME/etc/ssl/private/journal-upload.pem   its key
#           DIR/NAME/etc/ssl/certs/journal-upload.pem     its certificate
#           DIR/NAME/etc/ssl/ca/trusted.pem               the clinic CA
# A server's NAME is the name the chairs use in their URL (its certificate
# names it, and an IP address works too); a chair's NAME is its host name,
# which names its journal file on the server.
#
# Keys are ECDSA P-256; the CA is valid for 10 years, the others for 5.
# Making a certificate again (same NAME) replaces it; the CA is never
# replaced (remove DIR/ca.* by hand to start a new clinic).
set -eu

CA_DAYS=3650
CERT_DAYS=1825

die() { echo "clinic-ca: $*" >&2; exit 1; }
usage() { sed -n '3,5s/^# //p' "$0" >&2; exit 2; }

[ $# -ge 2 ] || usage
dir=$1
kind=$2
command -v openssl >/dev/null || die "needs openssl (apt-get install openssl)"

new_key() {
	(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1") ||
		die "openssl could not make a key"
}

make_ca() {
	if [ -f "$dir/ca.pem" ]; then
		echo "clinic-ca: $dir/ca.pem exists, kept"
		return
	fi
	mkdir -p "$dir"
	chmod 700 "$dir"
	new_key "$dir/ca.key"
	openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "$CA_DAYS" \
		-subj "/O=penctld clinic/CN=penctld clinic CA" \
		-addext "basicConstraints=critical,CA:true,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$dir/ca.pem" || die "openssl could not make the CA"
	echo "clinic-ca: made the clinic CA $dir/ca.pem (its key $dir/ca.key stays here)"
}

# make_cert NAME KEYFILE-NAME EXTENSIONS...
make_cert() {
	name=$1 base=$2
	shift 2
	[ -f "$dir/ca.pem" ] && [ -f "$dir/ca.key" ] ||
		die "no CA in $dir: run $0 $dir ca first"
	case $name in
	'' | */* | .*) die "bad name \"$name\"" ;;
	esac
	out=$dir/$name
	mkdir -p "$out/etc/ssl/private" "$out/etc/ssl/certs" "$out/etc/ssl/ca"
	chmod 700 "$out/etc/ssl/private"
	new_key "$out/etc/ssl/private/$base.pem"
	ext=$(mktemp)
	trap 'rm -f "$ext"' EXIT
	printf '%s\n' "$@" >"$ext"
	openssl req -new -key "$out/etc/ssl/private/$base.pem" -subj "/O=penctld clinic/CN=$name" |
		openssl x509 -req -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
			-sha256 -days "$CERT_DAYS" -extfile "$ext" \
			-out "$out/etc/ssl/certs/$base.pem" 2>/dev/null ||
		die "openssl could not sign the certificate of $name"
	cp "$dir/ca.pem" "$out/etc/ssl/ca/trusted.pem"
	openssl verify -CAfile "$dir/ca.pem" "$out/etc/ssl/certs/$base.pem" >/dev/null ||
		die "the new certificate of $name does not verify"
	echo "clinic-ca: made $out/etc/ssl/{private,certs}/$base.pem and $out/etc/ssl/ca/trusted.pem"
}

# A server name is a DNS name or an IP address (subjectAltName says which).
san_of() {
	case $1 in
	*:* | *[!0-9.]*) echo "DNS:$1" ;;
	*) echo "IP:$1" ;;
	esac
}

case $kind in
ca)
	[ $# -eq 2 ] || usage
	make_ca
	;;
server)
	[ $# -eq 3 ] || usage
	make_cert "$3" journal-remote "basicConstraints=CA:false" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" \
		"subjectAltName=$(san_of "$3")"
	;;
chair)
	[ $# -eq 3 ] || usage
	make_cert "$3" journal-upload "basicConstraints=CA:false" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=clientAuth"
	;;
*)
	usage
	;;
esac
