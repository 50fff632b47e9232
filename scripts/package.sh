#!/usr/bin/env bash
# Builds the installable packages of CMEK Desk with Tauri's bundler (issue 12, "Installable"):
# the UI, a release build (Cargo.toml [profile.release]: stripped, thin LTO) and
#   target/release/bundle/deb/CMEK Desk_<version>_amd64.deb        (always; the script fails without it)
#   target/release/bundle/appimage/CMEK Desk_<version>_amd64.AppImage  (tried; see below)
#
# The AppImage: Tauri's bundler downloads its tools (linuxdeploy, AppRun, the GTK plugin) from
# GitHub at bundle time. Where GitHub is unreachable the attempt fails; this script then prints
# the exact URL it could not fetch and the bundler's error, and still exits 0 for the .deb
# (PACKAGE_REQUIRE_APPIMAGE=1 makes that a failure). Nothing is faked: no AppImage is reported
# unless the bundler wrote one.
#
#   scripts/package.sh                 .deb, then the AppImage attempt
#   PACKAGE_BUNDLES=deb scripts/package.sh   the .deb only
#   PACKAGE_SKIP_BUILD=1 scripts/package.sh  bundle the release binary already in target/release
#                                      (`tauri bundle`: no cargo build, e.g. on a shared tree)
#
# Builds run at nice 5 (a shared machine); install the result with scripts/package-test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_apt_packages "${BUILD_PACKAGES[@]}"
[ "${PACKAGE_SKIP_BUILD:-0}" = 1 ] || build_ui   # ui/dist is embedded by the release build
tauri=(nice -n "${PACKAGE_NICE:-5}" node_modules/.bin/tauri)
bundle_dir="$TARGET_DIR/release/bundle"

rm -rf "$bundle_dir/deb"
if [ "${PACKAGE_SKIP_BUILD:-0}" = 1 ]; then
  echo "=== .deb: tauri bundle --bundles deb (the release binary already built)"
  "${tauri[@]}" bundle --bundles deb
else
  echo "=== .deb: tauri build --bundles deb (release build, then the bundle)"
  "${tauri[@]}" build --bundles deb
fi
deb=$(find "$bundle_dir/deb" -maxdepth 1 -name '*.deb' -print -quit)
[ -n "$deb" ] || { echo "package: tauri build wrote no .deb under $bundle_dir/deb" >&2; exit 1; }
echo "package: .deb $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Architecture Depends Section Maintainer

[[ "${PACKAGE_BUNDLES:-deb,appimage}" == *appimage* ]] || exit 0
echo "=== AppImage: tauri bundle --bundles appimage (the same release binary)"
rm -rf "$bundle_dir/appimage"
log="$TARGET_DIR/release/bundle/appimage-attempt.log"
if "${tauri[@]}" bundle --bundles appimage 2>&1 | tee "$log"; then
  appimage=$(find "$bundle_dir/appimage" -maxdepth 1 -name '*.AppImage' -print -quit)
  [ -n "$appimage" ] || { echo "package: the bundler succeeded but wrote no AppImage" >&2; exit 1; }
  echo "package: AppImage $appimage ($(du -h "$appimage" | cut -f1))"
  exit 0
fi
# The last download the bundler started is the one that failed.
url=$(grep -o 'Downloading https://[^ ]*' "$log" | tail -1 | cut -d' ' -f2)
error=$(grep -m1 -E 'failed to bundle project|Error' "$log" || true)
echo "package: AppImage NOT built. The bundler could not download ${url:-(no download logged)}"
echo "package: bundler error: ${error:-see $log}"
echo "package: full log in $log"
[ "${PACKAGE_REQUIRE_APPIMAGE:-0}" = 1 ] && exit 1
exit 0
