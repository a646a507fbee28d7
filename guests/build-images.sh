#!/bin/sh
# Called by Maven (generate-resources): checks the tools, then runs make. Usage: build-images.sh OUT_DIR
set -e
out=${1:?usage: build-images.sh OUT_DIR}
for tool in make gcc ld objcopy python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "jkvm-guests: required tool '$tool' was not found on PATH; the guest images need gcc, binutils" >&2
        echo "(ld, objcopy), make and python3 (Debian/Ubuntu: apt-get install gcc binutils make python3)" >&2
        exit 1
    fi
done
cd "$(dirname "$0")"
echo "jkvm-guests: building guest images into $out"
exec make -s -j2 OUT="$out"
