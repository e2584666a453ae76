# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the soak cases (tests/e2e/cases/soak-*.sh; docs/hardening.md, "Soak"), sourced
# after lib.sh. A soak repeats one operation many times against one armpass and, after every
# cycle, takes a snapshot of what armpass holds and compares it with the snapshot taken after
# the first cycle: every count must be equal, and armpass's resident set beyond guest RAM may
# grow by at most $SOAK_RSS_KIB KiB (default 2048: glibc's allocator takes about 1 MiB more over
# the first reboots after the first, docs/hardening.md "Soak").
#
# A snapshot (soak_snapshot) is one "key=value" line per count:
#   - from x-armpass-query-stats' "resources" (QMP): memslots, gsi-routes, msi-routes,
#     irqfds, ioeventfds, vfio-devices, vfio-groups, vfio-containers, iommufds,
#     dma-mappings, dma-bytes; and rss-kib, guest-rss-kib (compared through rss-beyond),
#     heap-bytes;
#   - from L1's /proc/PID: fds (how many), fd:TARGET (how many descriptors point at each
#     target, socket:[N]-style inode numbers dropped: "fd:anon_inode:[eventfd]=12"),
#     maps (lines of /proc/PID/maps), threads, VmLck and VmPin (KiB: what VFIO type1
#     accounts as locked for pinned guest RAM), rss-anon, rss-file, rss-shmem (KiB);
#   - kvm-vms: L1's debugfs folders /sys/kernel/debug/kvm/PID-* (one per VM armpass holds).
#
# SOAK_SCALE (percent, default 100; run.py passes $SOAK_SCALE as armpass.soak_scale= and
# l1-init exports it) shrinks every count, to try a soak quickly: soak_n 200 is 20 with
# SOAK_SCALE=10, and never below 2 (one cycle to compare with, one to compare).

# SOAK_ENV (run.py passes $SOAK_ENV as armpass.soak_env=, l1-init exports it): one
# NAME=VALUE put in armpass's environment, e.g. GLIBC_TUNABLES=glibc.malloc.tcache_count=0.

SOAK_RSS_KIB=${SOAK_RSS_KIB:-2048}

# soak_n FULL: FULL scaled by $SOAK_SCALE percent, at least 2.
soak_n() {
    _n=$(($1 * ${SOAK_SCALE:-100} / 100))
    [ "$_n" -ge 2 ] || _n=2
    echo "$_n"
}

# uptime_cs: L1's CLOCK_BOOTTIME-ish uptime in centiseconds (/proc/uptime).
uptime_cs() { awk '{ sub(/\./, "", $1); print $1 + 0; exit }' /proc/uptime; }

# soak_snapshot PID SOCKET FILE: writes the snapshot of armpass PID (its QMP socket SOCKET)
# to FILE. Fails (status 1) if the QMP query got no resources.
soak_snapshot() {
    /progs/qmp-client --timeout 60 "$2" '{"execute": "x-armpass-query-stats"}' \
        > /tmp/soak-q.out 2>&1 || return 1
    _res=$(grep -o '"resources":{[^}]*}' /tmp/soak-q.out | head -n 1)
    [ -n "$_res" ] || return 1
    {
        echo "$_res" | sed 's/^"resources":{//; s/}$//; s/"//g; s/:/=/g' | tr ',' '\n'
        _rss=$(echo "$_res" | sed -n 's/.*"rss-kib":\(-*[0-9]*\).*/\1/p')
        _grss=$(echo "$_res" | sed -n 's/.*"guest-rss-kib":\(-*[0-9]*\).*/\1/p')
        echo "rss-beyond=$((_rss - _grss))"
        echo "fds=$(ls /proc/"$1"/fd | wc -l)"
        ls -l /proc/"$1"/fd/ | sed -n 's/.* -> //p' |
            sed 's/^\(socket\|pipe\):\[[0-9]*\]$/\1/' | sort | uniq -c |
            awk '{ c = $1; $1 = ""; sub(/^ /, ""); print "fd:" $0 "=" c }'
        echo "maps=$(wc -l < /proc/"$1"/maps)"
        awk '/^Threads:/ { print "threads=" $2 } /^VmLck:/ { print "VmLck=" $2 }
             /^VmPin:/ { print "VmPin=" $2 } /^RssAnon:/ { print "rss-anon=" $2 }
             /^RssFile:/ { print "rss-file=" $2 } /^RssShmem:/ { print "rss-shmem=" $2 }' \
            /proc/"$1"/status
        echo "kvm-vms=$(ls -d /sys/kernel/debug/kvm/"$1"-* 2>/dev/null | wc -l)"
    } > "$3"
}

# soak_diff REF NOW: prints what differs (nothing: the same). Every key must be equal but
# rss-kib, guest-rss-kib, rss-anon, rss-file, rss-shmem (VmRSS and its parts), heap-bytes
# (glibc's heap in use: printed, not compared) and rss-beyond (VmRSS less guest RAM's resident part: may grow by $SOAK_RSS_KIB).
soak_diff() {
    awk -F= -v bound="$SOAK_RSS_KIB" '
        NR == FNR { ref[$1] = $2; next }
        { now[$1] = $2 }
        END {
            for (k in ref) {
                if (k ~ /^(rss-kib|guest-rss-kib|rss-anon|rss-file|rss-shmem|heap-bytes)$/) continue
                if (!(k in now)) { print k ": " ref[k] " -> (gone)"; continue }
                if (k == "rss-beyond") {
                    if (now[k] - ref[k] > bound) print k ": " ref[k] " -> " now[k] " KiB (more than " bound " KiB more)"
                    continue
                }
                if (ref[k] != now[k]) print k ": " ref[k] " -> " now[k]
            }
            for (k in now) if (!(k in ref)) print k ": (none) -> " now[k]
        }' "$1" "$2"
}

# soak_check PID SOCKET REF WHAT: a snapshot now, into /tmp/soak-now, must match REF (soak_diff);
# a difference is looked at again up to 4 times over 2 s (a QMP connection armpass has not yet
# closed, a descriptor the guest's action left for the main loop to drop) before it fails
# the case, naming WHAT ("cycle 17") and every difference.
soak_check() {
    for _try in 1 2 3 4 5; do
        if soak_snapshot "$1" "$2" /tmp/soak-now; then
            soak_diff "$3" /tmp/soak-now > /tmp/soak-diff
            [ -s /tmp/soak-diff ] || return 0
        else
            echo "no resources from x-armpass-query-stats" > /tmp/soak-diff
        fi
        sleep 0.5
    done
    echo "--- $4: what changed since the first cycle ---"
    cat /tmp/soak-diff
    echo "--- the snapshot after the first cycle ---"
    cat "$3"
    kill "$1" 2>/dev/null
    fail "$4: armpass holds more (or less) than after the first cycle: $(tr '\n' ';' < /tmp/soak-diff | cut -c1-300)"
}

# soak_summary FILE: the snapshot on one line, for the SOAK: result lines (the fd:... keys
# folded into a count of eventfds).
soak_summary() {
    awk -F= '
        /^fd:anon_inode:\[eventfd\]=/ { ev = $2 }
        /^(fds|memslots|gsi-routes|msi-routes|irqfds|ioeventfds|vfio-devices|vfio-groups|vfio-containers|dma-mappings|dma-bytes|maps|threads|VmLck|VmPin|kvm-vms|rss-kib|rss-anon|rss-file|rss-beyond|heap-bytes)=/ { printf "%s=%s ", $1, $2 }
        END { printf "eventfds=%d\n", ev }' "$1"
}

# soak_io_lines: the whole "L2-SOAK-IO: n=" lines (l2cases/soak-io.sh) $log holds so far:
# those that end in " end" (L1 reads the console while L2 writes it, and a QMP quit may cut
# the last line).
soak_io_lines() { tr -d '\r' < "$log" | grep '^L2-SOAK-IO: n=.* end$'; }

# soak_io_ticks: how many whole I/O lines $log holds so far.
soak_io_ticks() { soak_io_lines | wc -l; }

# soak_io_intact: fails the case if a whole I/O line of $log reports bad data or L2's I/O
# loop failed.
soak_io_intact() {
    _bad=$(soak_io_lines | grep -v 'marker=ok write=ok' | head -n 1)
    [ -z "$_bad" ] || fail "L2's I/O: $_bad"
    ! grep -q '^L2-SOAK-IO: FAIL' "$log" || fail "$(grep -m1 '^L2-SOAK-IO: FAIL' "$log" | tr -d '\r')"
}

# soak_io_start: starts armpass with the NVMe at $bdf passed through, QMP on $sock and the
# console in $log, its L2 running l2cases/soak-io.sh on the marker $nvme_marker; sets pid.
# Returns once L2 printed 3 I/O lines; fails the case if armpass dies, L2's I/O fails or
# does not begin within 300 s.
soak_io_start() {
    env $SOAK_ENV /armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet l2case=soak-io l2.marker=$nvme_marker" \
        -device vfio-pci,host=$bdf -qmp "unix:$sock,server=on,wait=off" > "$log" 2>&1 &
    pid=$!
    _i=0
    while [ "$(soak_io_ticks)" -lt 3 ]; do
        kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log"; fail "armpass died before L2's I/O began"; }
        grep -q '^L2-SOAK-IO: FAIL' "$log" && { kill "$pid"; fail "$(grep -m1 '^L2-SOAK-IO: FAIL' "$log" | tr -d '\r')"; }
        _i=$((_i + 1)); [ "$_i" -lt 1500 ] || { tail -n 40 "$log"; kill "$pid"; fail "no L2 I/O within 300 s"; }
        sleep 0.2
    done
}
