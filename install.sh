#!/bin/sh
# Install a released cbcheck binary, its SHA-256 checked, for this machine's OS and
# architecture; where no prebuilt binary fits, build that release with
# `cargo install --locked` instead. The GitHub Action (action.yml) runs this script.
#
#   sh install.sh [VERSION]        VERSION: latest (the default), 0.1.0 or v0.1.0
#
# Prints the installed binary's path on stdout; every message goes to stderr. Exits
# non-zero, with nothing installed and nothing built, when the version is not a release
# (a typo, or a tag such as the Action's v1); and, with nothing installed, when a
# download fails or a checksum does not match.
#
# Environment:
#   CBCHECK_VERSION      the version, when not given as an argument
#   CBCHECK_INSTALL_DIR  where the binary goes (default: $HOME/.local/bin)
#   CBCHECK_TOOL_CACHE   a tool cache (the Action's RUNNER_TOOL_CACHE): the binary goes
#                        to DIR/cbcheck/VERSION/ARCH, reused when already complete there
#   CBCHECK_REPOSITORY   the repository's URL (default: https://github.com/cbcheck/cbcheck);
#                        releases are under its /releases
#   CBCHECK_OS, CBCHECK_ARCH  stand in for `uname -s` and `uname -m`
set -eu

repository=${CBCHECK_REPOSITORY:-https://github.com/cbcheck/cbcheck}
releases=$repository/releases

say() {
    printf 'cbcheck-install: %s\n' "$*" >&2
}
die() {
    printf 'cbcheck-install: error: %s\n' "$*" >&2
    exit 1
}

command -v curl >/dev/null 2>&1 || die "curl is needed to download cbcheck"

# fetch URL FILE: 0 when downloaded, 2 when the server has no such file, 1 otherwise.
fetch() {
    status=$(curl --silent --show-error --location --retry 2 --output "$2" \
        --write-out '%{http_code}' "$1") || return 1
    case $status in
    2??) return 0 ;;
    404) return 2 ;;
    *)
        say "$1 answered HTTP $status"
        return 1
        ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed: the download cannot be checked"
    fi
}

# --- the version -------------------------------------------------------------------
version=${1:-${CBCHECK_VERSION:-latest}}
version=${version#v}
if [ "$version" = latest ]; then
    # GitHub redirects releases/latest to releases/tag/v<latest>.
    landing=$(curl --silent --show-error --location --retry 2 --fail --output /dev/null \
        --write-out '%{url_effective}' "$releases/latest") ||
        die "cannot find the latest release at $releases/latest"
    case $landing in
    */tag/v*) version=${landing##*/tag/v} ;;
    *) die "no release of cbcheck is published at $releases yet" ;;
    esac
fi
case $version in
"" | *[!0-9A-Za-z.+-]*) die "'$version' is not a version: give latest, or one such as 0.1.0" ;;
esac

# --- the target --------------------------------------------------------------------
os=${CBCHECK_OS:-$(uname -s)}
arch=${CBCHECK_ARCH:-$(uname -m)}
case $arch in
x86_64 | amd64 | X64) arch=x86_64 ;;
aarch64 | arm64 | ARM64) arch=aarch64 ;;
esac
exe=
archive=tar.gz
case $os in
Linux) target=$arch-unknown-linux-musl ;;
Darwin) target=$arch-apple-darwin ;;
MINGW* | MSYS* | CYGWIN* | Windows_NT)
    target=$arch-pc-windows-msvc
    exe=.exe
    archive=zip
    ;;
*) target=$arch-$os ;;
esac
# The release workflow builds these (.github/workflows/release.yml).
case $target in
x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | x86_64-apple-darwin | \
    aarch64-apple-darwin | x86_64-pc-windows-msvc) prebuilt=yes ;;
*) prebuilt=no ;;
esac

# --- where it goes -----------------------------------------------------------------
if [ -n "${CBCHECK_TOOL_CACHE:-}" ]; then
    # The layout of GitHub's tool cache: the .complete marker says the install finished.
    dir=$CBCHECK_TOOL_CACHE/cbcheck/$version/$arch
    complete=$dir.complete
    if [ -f "$complete" ] && [ -x "$dir/cbcheck$exe" ]; then
        say "cbcheck $version found in the tool cache"
        printf '%s\n' "$dir/cbcheck$exe"
        exit 0
    fi
else
    dir=${CBCHECK_INSTALL_DIR:-${HOME:?HOME or CBCHECK_INSTALL_DIR must be set}/.local/bin}
    complete=
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cbcheck-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# No release asset fits: build the release's tag from source.
build_from_source() {
    say "notice: $1: building cbcheck $version with cargo install --locked (this takes minutes)"
    command -v cargo >/dev/null 2>&1 ||
        die "$1, and cargo is not installed: install Rust (https://rustup.rs) and run this again"
    cargo install --locked --quiet --git "$repository" --tag "v$version" \
        --root "$work/cargo" cbcheck >&2 ||
        die "cargo install of cbcheck $version failed (its messages are above)"
    built=$work/cargo/bin/cbcheck$exe
}

# The release must exist, whatever fits this machine, before anything is built. Not
# releases/tag/vX: that page exists for every tag, the Action's v1 included. Every
# release has the x86_64 Linux archive and its checksum (.github/workflows/release.yml),
# and a tag without a release has no assets.
probe=$releases/download/v$version/cbcheck-$version-x86_64-unknown-linux-musl.tar.gz.sha256
exists=0
fetch "$probe" "$work/probe.sha256" || exists=$?
case $exists in
0) ;;
2) die "cbcheck $version is not a release: $probe does not exist (a tag such as v1 names the Action's interface, not a release; the releases: $releases)" ;;
*) die "cannot reach $probe" ;;
esac

built=
if [ "$prebuilt" = no ]; then
    build_from_source "no prebuilt binary for $target"
else
    name=cbcheck-$version-$target
    url=$releases/download/v$version/$name.$archive
    got=0
    fetch "$url" "$work/$name.$archive" || got=$?
    case $got in
    0) ;;
    2) build_from_source "release $version has no $name.$archive" ;;
    *) die "cannot download $url" ;;
    esac
fi

if [ -z "$built" ]; then
    fetch "$url.sha256" "$work/$name.$archive.sha256" ||
        die "cannot download the checksum $url.sha256"
    expected=$(cut -d' ' -f1 <"$work/$name.$archive.sha256")
    actual=$(sha256_of "$work/$name.$archive")
    [ "$expected" = "$actual" ] ||
        die "checksum mismatch for $name.$archive: $url.sha256 says $expected, the download is $actual; nothing was installed"
    say "$name.$archive: SHA-256 $actual, as published"
    mkdir "$work/unpacked"
    if [ "$archive" = zip ]; then
        if command -v unzip >/dev/null 2>&1; then
            unzip -q "$work/$name.$archive" -d "$work/unpacked"
        else
            # Windows without unzip: PowerShell wants Windows paths.
            win=$(cygpath -w "$work" 2>/dev/null || printf '%s' "$work")
            powershell -NoProfile -Command "Expand-Archive -LiteralPath '$win/$name.$archive' -DestinationPath '$win/unpacked'"
        fi || die "cannot unpack $name.$archive"
    else
        tar -xzf "$work/$name.$archive" -C "$work/unpacked" || die "cannot unpack $name.$archive"
    fi
    built=$work/unpacked/$name/cbcheck$exe
    [ -f "$built" ] || die "$name.$archive holds no $name/cbcheck$exe"
fi

# Copied beside its place, then renamed: a binary is never seen half-written.
mkdir -p "$dir"
cp "$built" "$dir/.cbcheck$exe.partial"
chmod 755 "$dir/.cbcheck$exe.partial"
mv -f "$dir/.cbcheck$exe.partial" "$dir/cbcheck$exe"
if [ -n "$complete" ]; then
    : >"$complete"
fi
say "installed cbcheck $version ($target) as $dir/cbcheck$exe"
printf '%s\n' "$dir/cbcheck$exe"
