#!/usr/bin/env sh
# Install Chromium (Debian's `chromium` package) for the browser tests of the HTML report
# (tests/test_report_browser.py, marked `browser`; they skip when /usr/bin/chromium is absent).
# Installs only when Chromium is missing and we are root with apt-get; otherwise it says why and does nothing.
set -eu

if [ -x /usr/bin/chromium ]; then
    echo "install-browser: /usr/bin/chromium is already installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: Chromium is missing and this is not root; nothing done (browser tests will skip)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: Chromium is missing and there is no apt-get; nothing done (browser tests will skip)"
    exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
echo "install-browser: installed /usr/bin/chromium"
