#!/usr/bin/env bash
# coverage-sites.sh — after `make coverage`: every line of the Swift core that
# reports an error (recordError, reportUnattached) must have run. Lists each
# site with its execution count; exits 1 if one never ran.
#   coverage-sites.sh LLVM_COV BINARY OBJECT PROFDATA
set -u
llvm_cov=$1 binary=$2 object=$3 profdata=$4
sources=$(grep -rlE 'recordError\(|reportUnattached\(' Sources/DMMS)
# llvm-cov show prints "  line|  count|source"; a line shared by several
# instantiations is printed once per instantiation, so take the largest count.
"$llvm_cov" show "$binary" -object "$object" -instr-profile "$profdata" $sources \
    -show-instantiations=false -path-equivalence=/,/ 2>/dev/null |
awk -F'|' '
    /^\/.*\.swift:$/ { file = $0; sub(/:$/, "", file); sub(/.*\/Sources\//, "Sources/", file); next }
    NF >= 3 && $3 ~ /(recordError|reportUnattached)\(/ && $3 !~ /func (recordError|reportUnattached)/ {
        line = $1 + 0; count = $2; gsub(/ /, "", count)
        key = file ":" line
        if (!(key in seen)) { order[++n] = key; seen[key] = count }
        else if (seen[key] == "0" || seen[key] == "") seen[key] = count
    }
    END {
        missed = 0
        for (i = 1; i <= n; i++) {
            printf "  %-40s %s\n", order[i], (seen[order[i]] == "" ? "?" : seen[order[i]])
            if (seen[order[i]] == "0" || seen[order[i]] == "") missed++
        }
        printf "error-report sites: %d, never run: %d\n", n, missed
        exit missed > 0
    }'
