#!/usr/bin/env bash
# Sets up everything the toolkit and its tests need, from the project's own files:
# Debian packages (browser, PDF and schema tools, WeasyPrint's libraries, fonts),
# a Python virtual environment with the package (editable; EDITION_INSTALL=wheel builds the sdist
# and wheel, checks them and installs the wheel instead, as CI does), and the Nu HTML Checker from npm.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")"

debian_packages=(
  chromium chromium-driver          # the real browser of the web edition's tests
  default-jre-headless              # runs the Nu HTML Checker (vnu.jar)
  jing                              # the reference RELAX NG validator, our baseline
  poppler-utils                     # pdftoppm: PDF pages to PNG
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0  # WeasyPrint
  fonts-dejavu-core fonts-liberation  # embedded in the PDFs; nothing is fetched
  epubcheck                         # checks the ebooks (edition build -f epub) in the tests
  fop                               # Apache FOP: the print baseline of bench/print_bench.py
)
missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${EDITION_INSTALL:-editable}" = wheel ]; then
  # What users install: the sdist and the wheel, built and checked, the wheel installed into a
  # fresh virtual environment (CI does this; the checkout itself is then never imported).
  rm -rf .venv dist
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check build twine
  build_log=$(mktemp)
  .venv/bin/python -m build --outdir dist . > "$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
  rm -f "$build_log"
  .venv/bin/python -m twine check --strict dist/*
  wheels=(dist/*.whl)
  .venv/bin/python -m pip install -q --disable-pip-version-check "${wheels[0]}[test,bench]"
else
  # A developer's checkout: an editable install (edition.transforms and edition.schemas map back
  # to transforms/ and schema/).
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
  # pip does not byte-compile an editable install; where PYTHONDONTWRITEBYTECODE is set, every
  # command would then compile the package again (0.02-0.05 s of each run)
  .venv/bin/python -m compileall -q edition transforms > /dev/null
fi

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "install.sh: ready (.venv/bin/edition)"
