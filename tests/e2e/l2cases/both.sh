#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the case with both devices in one guest.
sh /l2cases/fwcfg.sh
sh /l2cases/rtc.sh
