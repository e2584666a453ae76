#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case probe (run.py --nvme --pci-group-mixed): armpass probe in L1, with devices in each
# state. As L1 booted: the PL031 on rtc-pl031 without an IOMMU group (no-IOMMU mode off), the
# PL061 on pl061_gpio (a GPIO controller bound since boot), the NVMe 01.0 on nvme; then the
# PL031 and the PL061 handed to vfio-amba (no-IOMMU), the mixed slot's NVMe 02.0 to vfio-pci
# while its partner 02.1 stays on ahci (a group that is not viable). The report must say each
# state and its fix; and armpass itself, given the PL061, must say why its interrupt is refused
# (IRQ_NOREQUEST since boot) and the boot-time way around it, not a bare EINVAL.
. /cases/lib.sh
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"
P=/tmp/probe.txt
rtc=9010000.pl031 gpio=9030000.pl061 nv1=0000:00:01.0 nv=0000:00:02.0 ah=0000:00:02.1

run_probe() {
    /armpass probe > $P 2> /tmp/probe.err || { cat $P /tmp/probe.err; fail "armpass probe exited $?"; }
    [ ! -s /tmp/probe.err ] || { cat /tmp/probe.err; fail "armpass probe wrote to stderr"; }
    echo "--- armpass probe ($1) ---"
    cat $P
}
# The report's block for one device: from its "== DEV " line to the next block.
block() {
    awk -v d="== $1 " 'index($0, d) == 1 { p = 1; print; next } /^== |^Skipped|^Legend/ { p = 0 } p' $P
}
# says DEV TEXT...: the device's block holds every TEXT.
says() {
    _dev=$1
    shift
    _b=$(block "$_dev")
    [ -n "$_b" ] || fail "probe: no block for $_dev"
    for _w in "$@"; do
        case $_b in
        *"$_w"*) ;;
        *) fail "probe: the block of $_dev does not say \"$_w\"" ;;
        esac
    done
}
# lacks DEV TEXT: the device's block does not hold TEXT.
lacks() {
    case $(block "$1") in
    *"$2"*) fail "probe: the block of $1 says \"$2\"" ;;
    esac
}

for _ in $(seq 1 20); do
    [ -e /sys/bus/pci/devices/$nv1/driver ] && [ -e /sys/bus/pci/devices/$nv/driver ] &&
        [ -e /sys/bus/pci/devices/$ah/driver ] && break
    sleep 0.5
done
for pair in "$rtc rtc-pl031 amba" "$gpio pl061_gpio amba" "$nv1 nvme pci" "$nv nvme pci" "$ah ahci pci"; do
    set -- $pair
    drv=$(basename "$(readlink /sys/bus/$3/devices/$1/driver 2>/dev/null)")
    [ "$drv" = "$2" ] || fail "$1 is bound to '${drv:-nothing}' in L1, not $2 (run.py --nvme --pci-group-mixed?)"
done

# 1. As L1 booted.
run_probe "as booted"
grep -q '^DEVICE  *BUS  *DRIVER  *GROUP  *STATUS$' $P || fail "probe: no table header"
grep -Eq "^$rtc +amba +rtc-pl031 +none +NOT READY\$" $P || fail "probe: no aligned table row for $rtc"
says $rtc "NOT READY" "bound to its host driver rtc-pl031, not vfio-amba" \
    "no IOMMU group" "echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode" \
    "echo $rtc > /sys/bus/amba/drivers/rtc-pl031/unbind" \
    "echo vfio-amba > /sys/bus/amba/devices/$rtc/driver_override" \
    "echo $rtc > /sys/bus/amba/drivers_probe" \
    "then:     -device vfio-amba,host=$rtc,noiommu=on" "pl031@c000000 {"
says $gpio "NOT READY" "gpio-controller bound to pl061_gpio: its interrupt cannot be passed until reboot" \
    "IRQ_NOREQUEST" "initcall_blacklist=pl061_gpio_driver_init"
says $nv1 "NOT READY" "bound to its host driver nvme, not vfio-pci" \
    "echo $nv1 > /sys/bus/pci/drivers/nvme/unbind" \
    "echo vfio-pci > /sys/bus/pci/devices/$nv1/driver_override"
lacks $nv1 "no IOMMU group"
# L1 boots with vfio_platform.reset_required=0 (run.py): fw-cfg has no reset blocker
says 9020000.fw-cfg "vfio-platform,host=9020000.fw-cfg"
lacks 9020000.fw-cfg "reset_required is on"
grep -q '^  no device-tree node\|^  an IOMMU:\|^  a PCI host bridge' $P || fail "probe: no skipped devices summarised"

# 2. Handed over.
bind_vfio amba $rtc vfio-amba
bind_vfio amba $gpio vfio-amba
bind_vfio_pci $nv
run_probe "handed over"
says $rtc "ready (noiommu=on)" "use:      -device vfio-amba,host=$rtc,noiommu=on" \
    "no-IOMMU group" "pl031@c000000 {" 'compatible = "arm,pl031", "arm,primecell";' \
    "reg = <0x0 0xc000000 0x0 0x1000>;"
grep -Eq "^$rtc +amba +vfio-amba +[0-9]+ \\(no-IOMMU\\) +ready \\(noiommu=on\\)\$" $P ||
    fail "probe: the table row of $rtc does not say ready (noiommu=on)"
says $gpio "gpio-controller: passing its interrupt may fail until reboot" "sysfs does not tell"
says $nv "NOT READY" "IOMMU group $vfio_group is not viable: $ah (ahci) still bound to a host driver" \
    "echo $ah > /sys/bus/pci/drivers/ahci/unbind" "echo vfio-pci > /sys/bus/pci/devices/$ah/driver_override"
says $ah "NOT READY" "bound to its host driver ahci" "with $nv (vfio-pci)"
# No cdev for a no-IOMMU device (6.1: none at all; 6.12: none for no-IOMMU devices).
says $rtc "no VFIO cdev for a no-IOMMU device"
if [ ! -e /sys/class/misc/iommu ]; then
    says $nv "no iommufd/cdev backend (no /dev/iommu)"
fi

# 2b. The same state as JSON (json-c, pretty-printed: one "key": value a line; no jq in busybox).
J=/tmp/probe.json
_rc=0
/armpass probe --json > $J 2> /tmp/probe.err || _rc=$?
[ $_rc = 0 ] || { cat $J /tmp/probe.err; fail "armpass probe --json exited $_rc"; }
[ ! -s /tmp/probe.err ] || { cat /tmp/probe.err; fail "armpass probe --json wrote to stderr"; }
echo "--- armpass probe --json (handed over) ---"
cat $J
[ "$(head -n 1 $J)" = "{" ] && [ "$(tail -n 1 $J)" = "}" ] || fail "probe --json: not one JSON object"
# as many devices as the text report counts (candidates + skipped)
_n=$(sed -n 's/^[0-9]* of \([0-9]*\) candidate devices can be passed now; \([0-9]*\) skipped\.$/\1 \2/p' $P)
[ -n "$_n" ] || fail "probe: no count line in the text report"
set -- $_n
[ "$(grep -c '^      "name": ' $J)" = $(($1 + $2)) ] ||
    fail "probe --json: $(grep -c '^      "name": ' $J) devices, the text report counts $(($1 + $2))"
# The JSON object of one device: from its "name" line to the end of its object.
jblock() {
    awk -v n="      \"name\": \"$1\"," '$0 == n { p = 1 } p { print } p && /^    }/ { exit }' $J
}
# jsays DEV TEXT...: the device's object holds every TEXT (a whole "key": value line or part of one).
jsays() {
    _dev=$1
    shift
    _b=$(jblock "$_dev")
    [ -n "$_b" ] || fail "probe --json: no object for $_dev"
    for _w in "$@"; do
        case $_b in
        *"$_w"*) ;;
        *) fail "probe --json: the object of $_dev does not say '$_w'" ;;
        esac
    done
}
jsays $rtc '"status": "ready-noiommu",' '"ready": true,' '"noiommu": true,' \
    "\"device\": \"vfio-amba,host=$rtc,noiommu=on\"," '"id": "no-cdev",'
jsays $nv1 '"status": "not-ready",' '"ready": false,' '"driver": "nvme",' '"id": "bind",' \
    '"severity": "blocker",' "\"echo $nv1 > /sys/bus/pci/drivers/nvme/unbind\""
jsays $nv '"status": "not-ready",' '"driver": "vfio-pci",' '"id": "group-not-viable",' \
    "\"name\": \"$ah\"," '"driver": "ahci"' "\"iommu_group\": $vfio_group,"
jsays $gpio '"irq_controller": "gpio-controller",'

# 3. armpass given the PL061 that pl061_gpio bound at boot: the reason and the way around it.
refused pl061-irq "VFIO_DEVICE_SET_IRQS (index 0, TRIGGER" "Invalid argument" \
    "its node says gpio-controller" "until reboot" "initcall_blacklist=" \
    -- -device vfio-amba,host=$gpio,noiommu=on
rebind_host $nv nvme
pass
