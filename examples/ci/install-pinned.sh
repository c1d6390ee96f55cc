#!/bin/sh
# cbcheck without the GitHub Action, on a Linux host (for the crontab recipe): install
# one pinned release binary, refused unless its SHA-256 is the one you pinned.
#
#   sh install-pinned.sh VERSION SHA256 [DIR]
#
# VERSION such as 0.1.0; SHA256 from the release's
# cbcheck-VERSION-<arch>-unknown-linux-musl.tar.gz.sha256 (<arch>: this host's
# x86_64 or aarch64), copied once, when you choose to upgrade; DIR defaults to
# /usr/local/bin. The hash pinned here, not one downloaded beside the archive, is what
# protects the host from a replaced asset.
set -eu

version=${1:?usage: install-pinned.sh VERSION SHA256 [DIR]}
sha256=${2:?usage: install-pinned.sh VERSION SHA256 [DIR]}
dir=${3:-/usr/local/bin}
repository=${CBCHECK_REPOSITORY:-https://github.com/cbcheck/cbcheck}

asset=cbcheck-$version-$(uname -m)-unknown-linux-musl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

curl --fail --silent --show-error --location --output "$work/$asset.tar.gz" \
    "$repository/releases/download/v$version/$asset.tar.gz"
(cd "$work" && echo "$sha256  $asset.tar.gz" | sha256sum -c - >&2) || {
    echo "install-pinned: $asset.tar.gz does not have the pinned SHA-256: not installed" >&2
    exit 1
}
tar -xzf "$work/$asset.tar.gz" -C "$work"
install -m 755 "$work/$asset/cbcheck" "$dir/cbcheck"
"$dir/cbcheck" --version
