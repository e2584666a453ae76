#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 that stays up for 5 s and powers off (the host-faults case unbinds its device meanwhile).
echo "L2-SLEEP: 5 s"
sleep 5
