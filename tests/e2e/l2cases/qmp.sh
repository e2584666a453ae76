#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e case qmp (docs/operating.md): prints a counter and its uptime every 100 ms
# (the clock-driven output QMP stop must freeze and cont resume; the uptime shows whether the
# guest's clock stood still while stopped), and waits for the power button (gpio-keys on
# armpass's PL061 line 3: QMP system_powerdown), on which it returns and l2-init powers off.
( i=0; while :; do i=$((i + 1)); echo "L2-TICK $i $(cut -d' ' -f1 /proc/uptime)"; sleep 0.1; done ) &
ticker=$!
ev=''
for d in /sys/class/input/event*; do
    [ "$(cat "$d/device/name" 2>/dev/null)" = gpio-keys ] && ev=/dev/input/${d##*/}
done
if [ -z "$ev" ]; then
    echo "L2-QMP: no gpio-keys input device (KEYBOARD_GPIO, INPUT_EVDEV, the pl061 node?)"
    grep -i pl061 /proc/interrupts
    kill "$ticker"
    exit 1
fi
t=/sys/devices/system/cpu/cpu1/topology
echo "L2-TOPO cpu1 package $(cat $t/physical_package_id) core $(cat $t/core_id)"
echo "L2-QMP-READY $ev"
# struct input_event on arm64: timeval (16 bytes), type (2), code (2), value (4). A key press
# is type 1 (EV_KEY), code 116 (0x74, KEY_POWER), value 1.
while :; do
    # shellcheck disable=SC2046
    set -- $(dd if="$ev" bs=24 count=1 2>/dev/null | od -A n -t x1)
    [ $# -ge 24 ] || continue
    shift 16
    if [ "$1$2$3$4" = 01007400 ] && [ "$5" = 01 ]; then
        echo "L2-POWER-KEY pressed"
        break
    fi
done
kill "$ticker"
echo "L2-QMP: powering off"
