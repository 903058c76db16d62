// BCM2835 PM watchdog: restart and power off on the Raspberry Pis (see bcm2835_wdt.cpp).
#pragma once

#include "kstd/result.h"
#include "lib/of/of.h"

// ENODEV when the DT has no "brcm,bcm2835-pm-wdt" node (not a Pi).
Result bcm2835_wdt_init(of::DeviceTree dt);
