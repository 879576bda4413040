/* version.h: the minivmm version (git describe at build time). */
#ifndef MINIVMM_VERSION_H
#define MINIVMM_VERSION_H

const char *minivmm_version(void);

#endif
