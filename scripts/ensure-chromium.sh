#!/bin/sh
# Make sure a headless Chromium is there for the test that renders mlgate's HTML report.
# Installs Debian's `chromium` package when it is missing and this can: as root, with
# apt-get. Otherwise it only says how; the test then fails with the same advice.
set -eu
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: installing chromium (apt-get)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    exit 0
fi
echo "ensure-chromium: chromium is not installed and cannot be installed here (needs root" \
     "and apt-get); install it, e.g. \`sudo apt-get install chromium\`, or the HTML report" \
     "test will fail" >&2
