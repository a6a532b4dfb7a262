#!/usr/bin/env bash
# Assembles the ONNX Runtime C/C++ SDK from registry packages, pinned and
# checksummed, into a cache outside the clone, and prints its directory.
#
#   library: PyPI's onnxruntime wheel, Microsoft's official Linux x86-64 build,
#            which carries libonnxruntime.so.<version> (soname libonnxruntime.so.1,
#            exporting OrtGetApiBase); fetched with pip, no Python package is
#            installed. It is the newest official build the registries serve
#            (Maven Central has 1.29.0, npm's onnxruntime-node 1.30.0).
#   headers: Debian's libonnxruntime-dev (Microsoft's headers, unmodified by
#            Debian), fetched with apt-get from Debian 13 (trixie), because no
#            registry we reach ships the headers of the newer library. The C API
#            is versioned: the headers ask for ORT_API_VERSION 21, which every
#            later library serves, so 1.21 headers against the 1.31 library is a
#            supported pairing. inferd uses no API call newer than version 21.
set -euo pipefail

ORT_VERSION=1.31.1
ORT_WHEEL=onnxruntime-$ORT_VERSION-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
HDR_PACKAGE=libonnxruntime-dev
HDR_VERSION=1.21.0+dfsg-1
HDR_SUITE=trixie
HDR_DEB_SHA256=14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08

CACHE=${INFERD_CACHE:-$HOME/.cache/inferd}
DEST=$CACHE/onnxruntime-$ORT_VERSION
if [ -f "$DEST/.complete" ]; then
  echo "$DEST"
  exit 0
fi

log() { echo "fetch_onnxruntime: $*" >&2; }
verify() {  # file sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  if [ "$got" != "$2" ]; then
    log "checksum mismatch for $1: got $got, want $2"
    exit 1
  fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CACHE"

# Library. pip picks the wheel by the platform given, not by this machine's
# Python, so any python3 with pip (Debian's python3-pip) will do.
log "fetching onnxruntime==$ORT_VERSION ($ORT_WHEEL) with pip"
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.11 --implementation cp --abi cp311 --platform manylinux_2_28_x86_64 \
  -d "$work" "onnxruntime==$ORT_VERSION" >&2
wheel="$work/$ORT_WHEEL"
[ -f "$wheel" ] || { log "pip did not fetch $ORT_WHEEL"; ls "$work" >&2; exit 1; }
verify "$wheel" "$ORT_WHEEL_SHA256"
mkdir -p "$work/sdk/lib" "$work/sdk/include"
unzip -q -j "$wheel" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" -d "$work/wheel"
install -m 0644 "$work/wheel/libonnxruntime.so.$ORT_VERSION" "$work/sdk/lib/libonnxruntime.so.1"
ln -s libonnxruntime.so.1 "$work/sdk/lib/libonnxruntime.so"

# Headers, through apt with a private configuration for the one suite, using
# the Debian mirror this machine is already configured with.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
fi
[ -n "$mirror" ] || { log "cannot find the Debian mirror in /etc/apt"; exit 1; }
apt_dir="$CACHE/apt-$HDR_SUITE"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $HDR_SUITE main" \
  >"$apt_dir/etc/sources.list"
: >"$apt_dir/status"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
  -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::Etc::Preferences=/nonexistent"
  -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Architecture=amd64"
  -o "APT::Sandbox::User=root"
  -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
)
log "fetching $HDR_PACKAGE=$HDR_VERSION ($HDR_SUITE) with apt-get"
apt-get -q "${apt_opts[@]}" update >&2
(cd "$work" && apt-get -q "${apt_opts[@]}" download "$HDR_PACKAGE=$HDR_VERSION" >&2)
deb=$(ls "$work"/${HDR_PACKAGE}_*.deb)
verify "$deb" "$HDR_DEB_SHA256"
dpkg-deb -x "$deb" "$work/deb"
cp -r "$work/deb/usr/include/onnxruntime/." "$work/sdk/include/"
[ -f "$work/sdk/include/onnxruntime_cxx_api.h" ] || { log "headers missing from $deb"; exit 1; }
echo "ort $ORT_VERSION, headers $HDR_PACKAGE $HDR_VERSION" >"$work/sdk/VERSION"

rm -rf "$DEST"
mv "$work/sdk" "$DEST"
touch "$DEST/.complete"
echo "$DEST"
