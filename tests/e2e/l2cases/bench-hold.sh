#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's boot runs: stays up a moment after ARMPASS-L2-UP, so that the
# VMM and its VM are still there when bench-run samples them at the marker, then powers off.
sleep 0.5
