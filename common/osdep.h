/*
 * What differs between systems, kept out of the main code.
 */

#ifndef OSDEP_H
#define OSDEP_H

#include <stddef.h>

int	osdep_self_path(const char *, char *, size_t);

#endif /* OSDEP_H */
