#!/bin/bash
# Runs runtime tests against a real /dev/kvm on a host that has none.
#
# QEMU's TCG (pure emulation, no KVM needed) implements AMD SVM with nested paging, so a Debian kernel booted under
# `qemu-system-x86_64 -accel tcg -cpu max` can load kvm_amd and offer /dev/kvm. This script boots one with a tiny
# busybox initramfs, shares the host's root file system read-only over 9p (so the JDK, ~/.m2 and the compiled
# classes are the host's), and runs the JUnit selectors given inside it. Slow (a JVM under TCG: minutes), but it is
# the real KVM API with the real kernel behind it, which is what the hardware backend is written against. It is not
# PVM: CPL-0 code runs under SVM here, not in KVM's instruction emulator.
#
# usage: run-in-nested-kvm.sh SELECTOR...      e.g.  io.jkvm.runtime.hardware.HardwareKvmTest  'io.jkvm.runtime.api*'
#        (a class name, or a package name followed by *)
#        JKVM_NESTED_JAVA_OPTS: extra options for the test JVM in the VM, e.g. -Djkvm.guests.bench=true
# needs: qemu-system-x86 (apt-get install qemu-system-x86), apt-get download access for linux-image and
#        busybox-static, python3, and the project building with ./mvnw. Exit status: the tests' (0 = all passed).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 SELECTOR..." >&2; exit 2; }
REPO=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
CACHE=${JKVM_NESTED_CACHE:-/tmp/jkvm-nested-kvm}
KVER=${JKVM_NESTED_KERNEL:-6.1.0-50-amd64}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 missing: apt-get install qemu-system-x86" >&2; exit 2; }
mkdir -p "$CACHE"/debs "$CACHE"/out "$CACHE"/vmtmp

# 1. A kernel with kvm_amd, 9p and virtio as modules, and busybox.
if [ ! -f "$CACHE/root/boot/vmlinuz-$KVER" ]; then
    (cd "$CACHE/debs" && apt-get download "linux-image-$KVER" busybox-static)
    for f in "$CACHE"/debs/*.deb; do dpkg-deb -x "$f" "$CACHE/root"; done
fi

# 2. The initramfs: busybox, the modules in dependency order (read from each module's .modinfo), and /init.
if [ ! -f "$CACHE/initrd.cpio" ]; then
    python3 - "$CACHE" "$KVER" <<'PY'
import os, re, stat, sys
cache, kver = sys.argv[1], sys.argv[2]
base = f"{cache}/root/lib/modules/{kver}/kernel"
index = {}
for d, _, files in os.walk(base):
    for f in files:
        if f.endswith(".ko"):
            index[f[:-3].replace("-", "_")] = os.path.join(d, f)
def deps(m):
    r = re.search(rb"depends=([^\x00]*)\x00", open(index[m], "rb").read())
    return [x.replace("-", "_") for x in r.group(1).decode().split(",") if x] if r else []
order, seen = [], set()
def visit(m):
    if m not in seen:
        seen.add(m)
        for d in deps(m):
            visit(d)
        order.append(m)
for m in ["virtio_pci", "9pnet_virtio", "9p", "kvm_amd"]:
    visit(m)
files = {"bin/busybox": open(f"{cache}/root/bin/busybox", "rb").read()}
for m in order:
    files["modules/" + os.path.basename(index[m])] = open(index[m], "rb").read()
files["modorder"] = "".join(os.path.basename(index[m]) + "\n" for m in order).encode()
files["init"] = b"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modorder); do insmod /modules/$m || echo "insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host
mount -t devtmpfs dev /host/dev; mount -t proc proc /host/proc; mount -t sysfs sys /host/sys
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /host""" + cache.encode() + b"""/out
mount -t tmpfs tmp /host""" + cache.encode() + b"""/vmtmp
chroot /host /bin/bash """ + cache.encode() + b"""/vmcmd.sh > /host""" + cache.encode() + b"""/out/log 2>&1
echo $? > /host""" + cache.encode() + b"""/out/status
sync
poweroff -f
"""
dirs = ["bin", "modules", "proc", "sys", "dev", "host"]
with open(f"{cache}/initrd.cpio", "wb") as o:
    ino = [1]
    def entry(name, mode, data=b""):
        h = "070701" + "".join("%08X" % v for v in
                               [ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0])
        ino[0] += 1
        b = h.encode() + name.encode() + b"\0"
        o.write(b + b"\0" * (-len(b) % 4) + data + b"\0" * (-len(data) % 4))
    made = set()
    for d in dirs:
        parts = d.split("/")
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in made:
                made.add(p)
                entry(p, stat.S_IFDIR | 0o755)
    for name, data in files.items():
        entry(name, stat.S_IFREG | (0o755 if name in ("init", "bin/busybox") else 0o644), data)
    entry("TRAILER!!!", 0)
PY
fi

# 3. The classes and the test class path, from the project's own build; a JUnit launcher main.
(cd "$REPO" && ./mvnw -q -B -pl runtime -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$CACHE/classpath" -Dmdep.includeScope=test)
LAUNCHER_JAR=$(find ~/.m2/repository/org/junit/platform/junit-platform-launcher -name "junit-platform-launcher-1.*.jar" \
    | sort -V | tail -1)
mkdir -p "$CACHE/launcher"
cat > "$CACHE/launcher/NestedKvmLauncher.java" <<'JAVA'
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

public class NestedKvmLauncher {
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String a : args) {
            request.selectors(a.endsWith("*") ? selectPackage(a.substring(0, a.length() - 1)) : selectClass(a));
        }
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request.build(), summary, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    System.out.println(result.getStatus() + " " + id.getUniqueId()
                            + result.getThrowable().map(t -> "\n    " + t).orElse(""));
                }
            }
        });
        summary.getSummary().printFailuresTo(new PrintWriter(System.out), 40);
        summary.getSummary().printTo(new PrintWriter(System.out));
        long passed = summary.getSummary().getTestsSucceededCount();
        long failed = summary.getSummary().getTotalFailureCount();
        System.out.println(passed + " passed, " + failed + " failed, "
                + (summary.getSummary().getTestsAbortedCount() + summary.getSummary().getTestsSkippedCount())
                + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }
}
JAVA
CP="$REPO/runtime/target/classes:$REPO/runtime/target/test-classes:$(cat "$CACHE/classpath"):$LAUNCHER_JAR"
"$JAVA_HOME/bin/javac" -d "$CACHE/launcher" -cp "$CP" "$CACHE/launcher/NestedKvmLauncher.java"
{
    echo "cd '$REPO'"
    # The host's file system is read-only in the VM: tests that write under ${basedir}/target (the lockstep
    # tests assemble there) get the VM's tmpfs instead.
    printf '%q ' "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
        ${JKVM_NESTED_JAVA_OPTS:-} "-Djava.io.tmpdir=$CACHE/vmtmp" "-Dbasedir=$CACHE/vmtmp" -cp "$CP:$CACHE/launcher" \
        NestedKvmLauncher "$@"
    echo
} > "$CACHE/vmcmd.sh"

# 4. Boot, run, power off.
rm -f "$CACHE/out/log" "$CACHE/out/status"
timeout "${JKVM_NESTED_TIMEOUT:-3600}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 4G -nographic -no-reboot \
    -kernel "$CACHE/root/boot/vmlinuz-$KVER" -initrd "$CACHE/initrd.cpio" -append "console=ttyS0 quiet panic=-1" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$CACHE/out,mount_tag=out,security_model=none" > "$CACHE/console.log" 2>&1 || true
if [ ! -f "$CACHE/out/status" ]; then
    echo "the VM did not finish; console output in $CACHE/console.log:" >&2
    tail -30 "$CACHE/console.log" >&2
    exit 3
fi
cat "$CACHE/out/log"
exit "$(cat "$CACHE/out/status")"
