#!/usr/bin/env bash
# Fails (and prints them) if any process of a sanitizer test run left a report in DIR:
# daemons spawned by the tests report there too, where no exit code would show it.
set -euo pipefail
dir=${1:?usage: sanitizer-reports.sh DIR}
shopt -s nullglob
reports=("$dir"/*)
if [ ${#reports[@]} -eq 0 ]; then
  echo "sanitizer reports: none"
  exit 0
fi
for r in "${reports[@]}"; do
  echo "=== $r"
  cat "$r"
done
echo "sanitizer reports: ${#reports[@]} (see above)"
exit 1
