/* The kernel's stdlib.h: heap and number conversion. */
#ifndef KESTREL_STDLIB_H
#define KESTREL_STDLIB_H
#include <stddef.h>

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *aligned_alloc(size_t align, size_t size);
void free(void *p);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int atoi(const char *s);
long atol(const char *s);
void exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));

#endif
