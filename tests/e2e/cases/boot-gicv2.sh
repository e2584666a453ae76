#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case boot-gicv2: the boot case with a GICv2 guest (needs L0 with gic-version=2: run.py --gic 2).
export GIC=2
# shellcheck source=tests/e2e/cases/boot.sh
. /cases/boot.sh
