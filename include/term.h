/* term.h: raw mode for an interactive stdin, restored on every exit path. */
#ifndef MINIVMM_TERM_H
#define MINIVMM_TERM_H

#include <stdbool.h>

/* Puts stdin in raw mode if it is a terminal; returns whether it did. */
bool term_raw_enable(void);
/* Idempotent; async-signal-safe. */
void term_restore(void);

#endif
