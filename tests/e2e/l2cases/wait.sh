#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 that stays up until /tmp/stop would appear (never): holds its devices for the busy case.
echo "L2-WAIT: holding"
sleep 600
