#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages gradlab needs (only the missing ones),
# configures the Meson build directory and builds it with ninja.
#
#   bash scripts/setup.sh [MESON_SETUP_ARGS...]
#
# BUILD_DIR (default: build, relative to the repository root) names the build
# directory. Extra arguments go to `meson setup`, e.g. -Dbuildtype=debug or
# -Db_sanitize=address,undefined. A new build directory is a release build
# unless the arguments choose a build type; an existing one is reconfigured
# and keeps its options apart from those given. Safe to run again and again.
#
# GRADLAB_SETUP_TEST_TOOLS=1 (scripts/test.sh sets it) also installs what only
# the tests need: Chromium, in which the report tests open the HTML report.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

build_dir="${BUILD_DIR:-build}"

packages=(
    g++ meson ninja-build pkg-config
    libxsimd-dev libboost-dev libmpfr-dev libgmp-dev
    catch2 libbenchmark-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev
    libopenblas-dev
    python3 python3-numpy python3-matplotlib
    git ca-certificates
)
if [[ "${GRADLAB_SETUP_TEST_TOOLS:-}" == 1 ]]; then
    # fonts-dejavu-core: the screenshots need glyphs; Chromium itself only
    # pulls in some font through fontconfig-config's alternatives.
    packages+=(chromium fonts-dejavu-core)
fi

log="$(mktemp "${TMPDIR:-/tmp}/gradlab-setup.XXXXXX")"
trap 'rm -f "$log"' EXIT

# Runs a command with its output in $log; prints that output if it fails.
run_logged() {
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        cat "$log" >&2
        echo "setup: failed ($status): $*" >&2
        exit "$status"
    fi
}

#######################################################################
# Packages
#######################################################################

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "setup: packages: no dpkg-query (not Debian/Ubuntu); assuming the dependencies are installed"
else
    missing=()
    for pkg in "${packages[@]}"; do
        # db:Status-Abbrev is "ii " for an installed package.
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == ii* ]] || missing+=("$pkg")
    done

    if ((${#missing[@]} == 0)); then
        echo "setup: packages: all ${#packages[@]} installed"
    else
        if ((EUID == 0)); then
            as_root=(env DEBIAN_FRONTEND=noninteractive)
        elif command -v sudo >/dev/null 2>&1; then
            as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
        else
            echo "setup: missing packages: ${missing[*]}" >&2
            echo "setup: not root and no sudo; install them as root and run again" >&2
            exit 1
        fi
        echo "setup: packages: installing ${missing[*]}"
        run_logged "${as_root[@]}" apt-get update
        run_logged "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
    fi
fi

#######################################################################
# Configure
#######################################################################

setup_args=("$@")
chooses_build_type=false
for arg in "$@"; do
    case "$arg" in
        -Dbuildtype=* | --buildtype | --buildtype=* | -Ddebug=* | --debug | -Doptimization=* | --optimization | --optimization=*)
            chooses_build_type=true ;;
    esac
done

# A directory Meson configured holds meson-private/coredata.dat.
if [[ -f "$build_dir/meson-private/coredata.dat" ]]; then
    echo "setup: configure: reconfiguring $build_dir${setup_args[*]:+ with ${setup_args[*]}}"
    # Meson 1.0 ignores base options (b_sanitize, b_lto, ...) given to
    # `setup --reconfigure`; `meson configure` applies every -D option.
    define_args=()
    previous=
    for arg in "${setup_args[@]}"; do
        if [[ "$previous" == -D ]]; then
            define_args+=(-D "$arg")
        elif [[ "$arg" == -D?* ]]; then
            define_args+=("$arg")
        fi
        previous="$arg"
    done
    reconfigure() {
        if ((${#define_args[@]} > 0)); then
            meson configure "$build_dir" "${define_args[@]}" || return
        fi
        meson setup --reconfigure "$build_dir" "${setup_args[@]}"
    }
    if ! reconfigure >"$log" 2>&1; then
        # A build directory written by another Meson version cannot be
        # reconfigured, only wiped (which keeps its options); any other
        # failure is a real error.
        if ! grep -qi 'incompatible with the current version' "$log"; then
            cat "$log" >&2
            echo "setup: failed: reconfiguring $build_dir${setup_args[*]:+ with ${setup_args[*]}}" >&2
            exit 1
        fi
        echo "setup: configure: $build_dir is from another Meson version; wiping it"
        run_logged meson setup --wipe "$build_dir" "${setup_args[@]}"
    fi
else
    $chooses_build_type || setup_args=(-Dbuildtype=release "${setup_args[@]}")
    echo "setup: configure: meson setup $build_dir ${setup_args[*]}"
    run_logged meson setup "$build_dir" "${setup_args[@]}"
fi

#######################################################################
# Build
#######################################################################

echo "setup: build: ninja -C $build_dir"
run_logged ninja -C "$build_dir"
echo "setup: done ($build_dir)"
