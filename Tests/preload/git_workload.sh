#!/usr/bin/env bash
# git_workload.sh DIR — a scripted repository workload (commits, branches,
# merges, gc, fsck, log, diff) whose output is deterministic; run with and
# without DMMS and compared.
set -euo pipefail
dir=$1
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
export GIT_AUTHOR_NAME=dmms GIT_AUTHOR_EMAIL=dmms@example.invalid GIT_COMMITTER_NAME=dmms GIT_COMMITTER_EMAIL=dmms@example.invalid
export GIT_AUTHOR_DATE="2001-01-01T00:00:00Z" GIT_COMMITTER_DATE="2001-01-01T00:00:00Z" HOME="$dir" GIT_CONFIG_NOSYSTEM=1
git init -q -b main .
for i in $(seq 1 60); do
    seq $((i * 13)) | sed "s/^/line $i /" > "file$((i % 7)).txt"
    printf 'change %d\n' "$i" >> CHANGES
    git add -A && git commit -q -m "commit $i"
    if [ $((i % 15)) -eq 0 ]; then
        git checkout -q -b "branch$i"
        echo "branch $i" > "branch$i.txt"
        git add -A && git commit -q -m "branch $i work"
        git checkout -q main
        git merge -q --no-edit "branch$i"
    fi
done
git gc -q --aggressive
git fsck --full --strict 2>&1
git log --stat --format='%H %s' | head -400
git diff HEAD~20 HEAD --stat
git diff HEAD~5 HEAD | head -200
git branch -a
git count-objects -v | grep -v size
git rev-list --all --objects | wc -l
