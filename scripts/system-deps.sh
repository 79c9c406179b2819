#!/usr/bin/env bash
# Debian packages the test suite runs for real. Installs only what is missing; needs root (as CI is)
# or sudo. Nothing here downloads anything but Debian packages.
set -euo pipefail
PACKAGES=(chromium chromium-driver fonts-wqy-microhei   # search test: headless Chromium, its driver, a CJK font
          redis-server)                                   # distributed crawl test: a real Redis
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
