#!/bin/sh
#  Every binary `ofts` runs - its services and the tools it forwards to
#  (`ofts record` runs ofts-record) - must be among the Makefile's
#  DEMO_TARGETS: the README promises that its commands work after
#  `make demo`, and `ofts record info` once failed with "cannot run".
#  Usage: check-demo-targets.sh SOURCE_DIR
src=${1:-.}
targets=$(sed -n '/^DEMO_TARGETS :=/,/^$/p' "$src/Makefile" | tr -d '\\' | sed 's/DEMO_TARGETS :=//')
#  The tools[] table of launcher/main.c and the services ofts up knows.
names=$(sed -n '/static const char \*tools\[\] = {/,/NULL };/p' "$src/launcher/main.c" | grep -o '"[a-z-]*"' | tr -d '"')
services=$(sed -n '/static const char \*known\[\] = {/,/NULL };/p' "$src/launcher/main.c" | grep -o '"[a-z-]*"' | tr -d '"')
[ -n "$names" ] && [ -n "$services" ] || { echo "cannot read the tool or service table of launcher/main.c"; exit 1; }
missing=""
for n in $names $services projectx; do
    case " $(echo $targets) " in
        *" ofts-$n "*) ;;
        *) missing="$missing ofts-$n" ;;
    esac
done
if [ -n "$missing" ]; then
    echo "Makefile DEMO_TARGETS lacks:$missing (make demo would not build what the README runs)"
    exit 1
fi
echo "DEMO_TARGETS has every binary ofts runs ($(echo $names $services projectx | wc -w) checked)"
