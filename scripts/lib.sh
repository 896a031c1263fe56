# Shared by scripts/run and scripts/test: install what a fresh Debian/Ubuntu
# machine lacks, and keep cargo's build output outside the clone.
# shellcheck shell=bash

# Cargo's target directory lives outside the clone so that repeat runs are
# incremental and a clean clone never contains build output.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sonic-pos/target}"
# Two cores: be kind to the machine.
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# System packages the app, its build and its tests need.
#   Tauri 2 / WebKitGTK build: libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev
#                              librsvg2-dev libxdo-dev libssl-dev pkg-config build-essential
#   End-to-end tests:          xvfb webkit2gtk-driver (WebKitWebDriver) xauth
#   PostgreSQL tests:          postgresql postgresql-common (pg_virtualenv)
#   Power-cut tests:           fuse3 (fusermount3, for tests/faultfs without root)
BUILD_PACKAGES=(build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev curl file)
TEST_PACKAGES=(xvfb xauth webkit2gtk-driver openbox postgresql postgresql-common fuse3)

# install_packages PKG... : apt-get install the ones that are missing, saying which.
install_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  say "installing missing system packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ensure_rust: cargo on PATH; on a machine without Rust, install the stable
# toolchain with rustup (minimal profile plus rustfmt and clippy) into ~/.cargo.
ensure_rust() {
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    install_packages curl ca-certificates
    say "installing Rust (rustup, stable, minimal profile + rustfmt, clippy) into $HOME/.cargo"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
      sh -s -- -y --profile minimal --default-toolchain stable --component rustfmt,clippy ||
      { echo "error: could not install Rust; install it with rustup (https://rustup.rs) and run this again" >&2; exit 1; }
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}

# pg_virtualenv, run as root, makes its throwaway cluster in the system's
# cluster list (/etc/postgresql/<version>/regress) and drops it at the end; a
# run that was killed leaves it behind, down, and every later pg_virtualenv
# refuses with "Cluster <version>/regress exists". Drop such a leftover (it is
# marked .by_pg_virtualenv; stopped first if its server still runs) when no
# pg_virtualenv is running.
drop_stale_pg_virtualenv_cluster() {
  command -v pg_lsclusters >/dev/null || return 0
  pgrep -f 'pg_virtualenv( |$)' >/dev/null && return 0
  local version cluster
  for marker in /etc/postgresql/*/regress/.by_pg_virtualenv; do
    [ -e "$marker" ] || continue
    version=$(basename "$(dirname "$(dirname "$marker")")")
    cluster=regress
    say "dropping the PostgreSQL cluster $version/$cluster an interrupted pg_virtualenv left behind"
    pg_dropcluster --stop "$version" "$cluster" 2>/dev/null ||
      pkill -f "postgres -D /var/lib/postgresql/$version/$cluster( |\$)" || true
    # pg_dropcluster leaves the folder with pg_virtualenv's own marker in it.
    rm -rf "/etc/postgresql/$version/$cluster" "/var/lib/postgresql/$version/$cluster"
  done
}
