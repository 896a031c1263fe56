#!/usr/bin/env bash
# Install what the end-to-end tests (tests/, crate sonic-e2e) need on a fresh
# Debian/Ubuntu machine: Xvfb and WebKitWebDriver from Debian, tauri-driver
# from crates.io. Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

ensure_rust
install_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

# tauri-driver is a small WebDriver proxy that starts the app binary and hands
# the session to WebKitWebDriver. It is a cargo binary, kept in ~/.cargo/bin.
if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  say "installing tauri-driver (cargo install tauri-driver --locked)"
  # Built in its own target dir so it never fights the workspace build's lock.
  CARGO_TARGET_DIR="$HOME/.cache/sonic-pos/target-tauri-driver" \
    cargo install tauri-driver --locked
fi

for tool in Xvfb WebKitWebDriver; do
  command -v "$tool" >/dev/null || { echo "error: $tool is still missing after install; check apt output above" >&2; exit 1; }
done
say "e2e dependencies present: tauri-driver, WebKitWebDriver, Xvfb"
