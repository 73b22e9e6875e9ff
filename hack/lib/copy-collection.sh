# shellcheck shell=bash
# Sourced by the scripts that run ansible-test: ansible-test only works inside
# .../ansible_collections/<namespace>/<name>/, so they copy the collection into such a tree.
#
#   copy_collection DEST [SOURCE]    SOURCE defaults to $repo, the caller's checkout
#
# Copies what git would ship (tracked and new files, not ignored ones such as .venv); a SOURCE
# outside git is copied whole, less .venv, .ansible and tests/output.
copy_collection() {
  local dest=$1 repo=${2:-$repo}
  mkdir -p "$dest"
  if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$repo" ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' path; do
        # Tracked files deleted in the work tree are still listed by git;
        # .ansible/ is ansible-lint's cache, with a copy of the collection.
        [[ $path == .ansible/* ]] && continue
        if [[ -e $repo/$path || -L $repo/$path ]]; then printf '%s\0' "$path"; fi
      done |
      tar -C "$repo" --null -T - -cf - | tar -C "$dest" -xf -
  else
    tar -C "$repo" --exclude=./.venv --exclude=./.ansible --exclude=./tests/output -cf - . |
      tar -C "$dest" -xf -
  fi
}
