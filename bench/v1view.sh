# Sourced by bench/run.sh and bench/strace.sh inside `unshare --mount --propagation private`.
# v1_view TMPDIR: makes /sys/fs/cgroup show only the v1 controller hierarchies (a tmpfs with
# them bound in), because crun 1.8.1 refuses hybrid hosts ("cgroups in hybrid mode not
# supported"). All runtimes then see the same view. Only this mount namespace changes; the
# host's mounts are never touched and everything vanishes with the namespace.
v1_view() {
    local tmp=$1 c
    mkdir -p "$tmp/orig"
    mount --rbind /sys/fs/cgroup "$tmp/orig"
    mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
    for c in cpu cpuacct cpuset memory devices freezer blkio pids systemd; do
        [[ -d $tmp/orig/$c ]] || continue
        mkdir "/sys/fs/cgroup/$c"
        mount --bind "$tmp/orig/$c" "/sys/fs/cgroup/$c"
    done
}
