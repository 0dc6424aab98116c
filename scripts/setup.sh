#!/usr/bin/env bash
# Set up reportgen on Debian 12: system packages (a headless Chromium for chart export, Pango and fonts
# for the PDF), then a virtualenv in .venv with the project installed.
# The browser: Debian's chromium-headless-shell where the package exists (about half the size of
# chromium, and it starts about a second sooner), else chromium. reportgen finds either on PATH
# (the headless shell first); BROWSER_PATH overrides.
#   scripts/setup.sh          what a report needs
#   scripts/setup.sh --test   also the test tools: poppler (pdftotext), aiosmtpd, and the Spark
#                             engine with Java, which the test suite checks against one machine
# Idempotent: each step is skipped when it is already done, so the test command can call it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-dejavu-core fonts-liberation)
EXTRAS=""
if [ "${1:-}" = "--test" ]; then
  APT_PACKAGES+=(poppler-utils openjdk-17-jre-headless libblas3 openssl)  # openssl: the self-signed certificate of the TLS tests
  EXTRAS="[test]"
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=""
apt_update() { [ -n "$updated" ] || { $SUDO apt-get update -qq; updated=1; }; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'; }

if installed chromium-headless-shell; then
  :
elif available chromium-headless-shell || { apt_update; available chromium-headless-shell; }; then
  APT_PACKAGES+=(chromium-headless-shell)
else
  APT_PACKAGES+=(chromium)  # older releases: the full browser, which kaleido drives just as well
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  apt_update
  # --no-install-recommends keeps Chromium to ~25 packages instead of ~130 (TOOLCHAIN.md)
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi

# Reinstall only when the dependency declarations change.
stamp=".venv/.reportgen-setup"
want=$( (cat pyproject.toml constraints.txt; echo "$EXTRAS") | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! .venv/bin/python -c "import reportgen" 2>/dev/null; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".$EXTRAS"
  echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/reportgen)"
