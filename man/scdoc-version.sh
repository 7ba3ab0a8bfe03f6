#!/bin/sh
# scdoc with the release in the page's footer: the first line of every page,
# 'NAME(8) "s6pp" "s6pp Manual"', becomes 'NAME(8) "s6pp VERSION" "s6pp Manual"'.  The date
# scdoc prints is SOURCE_DATE_EPOCH's, else the last commit's (the same one the release
# tarballs use), so that two builds of one source give the same pages.
# Usage: scdoc-version.sh SCDOC VERSION SOURCEDIR < page.8.scd > page.8
set -eu
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$3" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
sed "1s/\"s6pp\" \"s6pp Manual\"\$/\"s6pp $2\" \"s6pp Manual\"/" | "$1"
