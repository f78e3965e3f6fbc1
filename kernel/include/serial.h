#ifndef SHOJI_SERIAL_H
#define SHOJI_SERIAL_H

#include "types.h"

/* port 0 switches the console off. */
void serial_init(uint16_t port);
void serial_write(const char *s, size_t n);

#endif
