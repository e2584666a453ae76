#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case rtc-userspace: the rtc case with x-irqfd=off (armpass's userspace IRQ fallback).
IRQFD=off
. /cases/rtc.sh
