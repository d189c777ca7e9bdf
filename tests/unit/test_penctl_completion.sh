#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# penctl's bash completion offers the commands, the session sub-commands and
# each command's options (cli/penctl.bash-completion).  Usage: $0 SCRIPT
set -u
source "$1" || exit 1
failed=0

# complete WORDS... -> the candidates for the last word, space-separated
complete_line() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _penctl
    echo "${COMPREPLY[*]}"
}

expect() {
    local want=$1
    shift
    local got
    got=$(complete_line "$@")
    if [[ " $got " != *" $want "* ]]; then
        echo "FAIL: '$*' offers '$got', not '$want'"
        failed=1
    fi
}

expect_not() {
    local unwanted=$1
    shift
    local got
    got=$(complete_line "$@")
    if [[ " $got " == *" $unwanted "* ]]; then
        echo "FAIL: '$*' offers '$unwanted' ($got)"
        failed=1
    fi
}

for command in status scan pair forget session depth speed limits log report doctor reload state; do
    expect "$command" penctl ""
done
expect --json penctl --
expect start penctl session ""
expect stop penctl session s
expect acknowledge penctl state ""
expect --operator penctl session start --
expect --contraindications-checked penctl session start --operator alice --
expect_not --operator penctl session stop --
expect --seconds penctl scan --
expect --follow penctl log --
expect --session penctl --json log --
expect_not --seconds penctl status --
expect --session penctl report --
expect --directory penctl report --
expect --file penctl report --session S1 --
expect --chair penctl report --
expect --png penctl report --
expect_not --follow penctl report --
expect --chair penctl log --
expect --day penctl log --
expect --directory penctl log --
expect_not --png penctl log --
# --directory offers directories, --file files.
tmp=$(mktemp -d)
mkdir "$tmp/remote"
touch "$tmp/system.journal"
expect "$tmp/remote" penctl report --directory "$tmp/re"
expect_not "$tmp/system.journal" penctl report --directory "$tmp/"
expect "$tmp/system.journal" penctl report --file "$tmp/sys"
rm -rf "$tmp"
exit $failed
