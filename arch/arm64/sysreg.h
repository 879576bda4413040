/* sysreg.h: the generated arm64 system register definitions and the field accessors built on them. */
#ifndef MINIVMM_ARM64_SYSREG_H
#define MINIVMM_ARM64_SYSREG_H

#include <stdint.h>
#include "sysreg-defs.h" /* build/gen/, made by tools/gen-sysreg */

/*
 * 'f' is a generated field name such as ICH_VMCR_EL2_VPMR: every shift and
 * mask comes from arch/arm64/sysreg.txt, none is written by hand.
 */
#define FIELD_GET(f, v)	 ((uint64_t)(((uint64_t)(v)&f##_MASK) >> f##_SHIFT))
#define FIELD_PREP(f, x) (((uint64_t)(x) << f##_SHIFT) & f##_MASK)
/* Does x fit in field f (before shifting)? */
#define FIELD_FITS(f, x) (((uint64_t)(x) & ~(f##_MASK >> f##_SHIFT)) == 0)

#endif
