#!/usr/bin/env bash
# Install the Chromium builds inndx-cdp drives, from the distribution's packages.
#
# Usage: chromium/install.sh [--shell-only] [--emoji] [--also PKG]... [--dry-run]
#   --shell-only  only the headless shell (client kind "standard"); skip full Chromium
#   --emoji       also fonts-noto-color-emoji (~10 MB) so emoji show up in screenshots
#   --also PKG    one more Debian package to install in the same apt run (scripts/bootstrap
#                 uses this for python3-venv & co., so there is a single `apt-get update`)
#   --dry-run     print the apt commands instead of running them
#
# Idempotent: installs only what is missing, and runs `apt-get update` at most once, only
# when something is missing. A build counts as present when the server would pick it
# (INNDX_CDP_STANDARD_BINARY / INNDX_CDP_CHROME_BINARY, else the usual paths below) and
# its `--version` works. Testing aids: INNDX_CDP_OS_RELEASE (path of an os-release file)
# and INNDX_CDP_INSTALL_ASSUME_MISSING (space-separated packages to treat as missing).
set -euo pipefail

# Same order as inndx_cdp/browser/process.py: real binaries first (Debian's
# /usr/bin entries are wrapper scripts), then the usual names on PATH.
STANDARD_CANDIDATES=(/usr/lib/chromium/chromium-headless-shell
    chromium-headless-shell chrome-headless-shell headless_shell)
CHROME_CANDIDATES=(/usr/lib/chromium/chromium chromium chromium-browser google-chrome chrome)
# Liberation: metric-compatible Arial/Times/Courier, what most pages ask for.
# DejaVu: wide Unicode coverage as the fallback. Both small (~5 MB together).
FONT_PACKAGES=(fonts-liberation fonts-dejavu-core)
UNSUPPORTED_HINT="install a headless Chromium build yourself and set INNDX_CDP_STANDARD_BINARY (and INNDX_CDP_CHROME_BINARY for kind chrome) to its path, then rerun"

say() { printf 'chromium/install.sh: %s\n' "$*"; }
die() {
    printf 'chromium/install.sh: error: %s\n' "$*" >&2
    exit 1
}

shell_only=0
dry_run=0
extra_packages=()
while (($#)); do
    case $1 in
    --shell-only) shell_only=1 ;;
    --emoji) FONT_PACKAGES+=(fonts-noto-color-emoji) ;;
    --also)
        (($# >= 2)) || die "--also needs a package name"
        extra_packages+=("$2")
        shift
        ;;
    --dry-run) dry_run=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

assumed_missing=" ${INNDX_CDP_INSTALL_ASSUME_MISSING:-} "

# find_build PACKAGE CONFIGURED CANDIDATE...: print "path<TAB>version" of the first
# working build, the way the server picks it (only CONFIGURED when that is set).
find_build() {
    local package=$1 configured=$2 candidate path version
    shift 2
    [[ $assumed_missing == *" $package "* ]] && return 1
    if [[ -n $configured ]]; then set -- "$configured"; fi
    for candidate in "$@"; do
        path=$(type -P -- "$candidate") || continue
        version=$(timeout 30 "$path" --version 2>/dev/null) || continue
        printf '%s\t%s\n' "$path" "${version%% }"
        return 0
    done
    return 1
}

package_installed() {
    [[ $assumed_missing == *" $1 "* ]] && return 1
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

as_root() {
    if ((EUID == 0)); then
        "$@"
    else
        sudo "$@"
    fi
}

apt_quiet() {
    local log
    if ((dry_run)); then
        printf '+ apt-get %s\n' "$*"
        return 0
    fi
    log=$(mktemp)
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        rm -f "$log"
        die "apt-get $1 failed (output above)"
    fi
    rm -f "$log"
}

# --- what is there, what is missing -----------------------------------------
missing=()
chromium_missing=()
standard=$(find_build chromium-headless-shell "${INNDX_CDP_STANDARD_BINARY:-}" "${STANDARD_CANDIDATES[@]}") || {
    [[ -n ${INNDX_CDP_STANDARD_BINARY:-} ]] &&
        die "INNDX_CDP_STANDARD_BINARY=$INNDX_CDP_STANDARD_BINARY is not a working browser (its --version fails); fix or unset it"
    chromium_missing+=(chromium-headless-shell)
}
chrome=""
if ((!shell_only)); then
    chrome=$(find_build chromium "${INNDX_CDP_CHROME_BINARY:-}" "${CHROME_CANDIDATES[@]}") || {
        [[ -n ${INNDX_CDP_CHROME_BINARY:-} ]] &&
            die "INNDX_CDP_CHROME_BINARY=$INNDX_CDP_CHROME_BINARY is not a working browser (its --version fails); fix or unset it"
        chromium_missing+=(chromium)
    }
fi
missing+=(${chromium_missing[@]+"${chromium_missing[@]}"})
for package in "${FONT_PACKAGES[@]}" ${extra_packages[@]+"${extra_packages[@]}"}; do
    package_installed "$package" || missing+=("$package")
done

# --- install -----------------------------------------------------------------
if ((${#missing[@]})); then
    type -P apt-get >/dev/null || die "no apt-get here, cannot install ${missing[*]}: $UNSUPPORTED_HINT"
    if ((${#chromium_missing[@]})); then
        os_release=${INNDX_CDP_OS_RELEASE:-/etc/os-release}
        # shellcheck disable=SC1090  # os-release is plain VAR=value lines
        os_id=$(. "$os_release" 2>/dev/null && echo "${ID:-} ${ID_LIKE:-}") || os_id=""
        [[ " $os_id " == *" ubuntu "* ]] &&
            die "Ubuntu ships Chromium only as a snap shim, unusable here: $UNSUPPORTED_HINT"
    fi
    if ((!dry_run && EUID != 0)) && ! type -P sudo >/dev/null; then
        die "need root to install ${missing[*]}: rerun as root, or install sudo"
    fi
    say "missing: ${missing[*]}; running apt-get update"
    apt_quiet update -qq
    if ((!dry_run)); then
        for package in "${missing[@]}"; do
            candidate=$(apt-cache policy "$package" 2>/dev/null | sed -n 's/^ *Candidate: //p')
            if [[ -z $candidate || $candidate == "(none)" ]]; then
                if [[ " ${chromium_missing[*]} " == *" $package "* ]]; then
                    die "no package $package in this system's apt sources (Debian 12+ has it): $UNSUPPORTED_HINT"
                fi
                die "no package $package in this system's apt sources"
            fi
        done
    fi
    say "installing ${missing[*]} (apt-get, --no-install-recommends; can take a minute)"
    apt_quiet install -y -qq --no-install-recommends "${missing[@]}"
    ((dry_run)) && say "dry run: nothing was installed" && exit 0

    # Check the result the same way as before.
    [[ -z $standard ]] && { standard=$(find_build chromium-headless-shell "${INNDX_CDP_STANDARD_BINARY:-}" "${STANDARD_CANDIDATES[@]}") ||
        die "installed chromium-headless-shell but found no working headless shell"; }
    if ((!shell_only)) && [[ -z $chrome ]]; then
        chrome=$(find_build chromium "${INNDX_CDP_CHROME_BINARY:-}" "${CHROME_CANDIDATES[@]}") ||
            die "installed chromium but found no working Chromium"
    fi
    for package in "${FONT_PACKAGES[@]}" ${extra_packages[@]+"${extra_packages[@]}"}; do
        package_installed "$package" || die "installing $package failed"
    done
    say "installed: ${missing[*]}"
else
    say "nothing to install"
fi

# --- report ------------------------------------------------------------------
say "standard (headless shell): ${standard%%$'\t'*} ($(cut -f2 <<<"$standard"))"
if ((shell_only)); then
    say "chrome (full Chromium): skipped (--shell-only)"
else
    say "chrome (full Chromium): ${chrome%%$'\t'*} ($(cut -f2 <<<"$chrome"))"
fi
say "fonts: ${FONT_PACKAGES[*]}"
