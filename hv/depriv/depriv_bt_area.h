/*
 * depriv_bt_area.h: where bt=1's pieces are in the hypervisor's top 4 MiB
 * of the guest's address space, and their selectors (depriv_bt.h draws the
 * area). Constants only.
 */
#pragma once
#include "depriv/depriv.h"

/* Where the TC and the vCPU page run (depriv_bt.h draws the area). */
#define BT_TC_BASE   (DEPRIV_AREA + 0x20000u)
#define BT_TC_PAGES  256u
#define BT_TC_END    (BT_TC_BASE + BT_TC_PAGES * 4096u)
#define BT_VCPU_BASE BT_TC_END
/* The selectors of bt=1's descriptors in the GDT copy (depriv.h's
 * DEPRIV_HV_SLOT): the TC's code, the vCPU page's data, both at ring 1. */
#define BT_TC_SELECTOR   (DEPRIV_HV_SELECTOR | 1)
#define BT_VCPU_SELECTOR ((DEPRIV_HV_SELECTOR + 8) | 1)
/* The real IDT (depriv_bt_gate.h), one page beside the TSS's. */
#define BT_IDT (DEPRIV_AREA + 0x13000u)
