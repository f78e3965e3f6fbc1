/* Number conversions with the C standard's rules (leading space, sign,
 * base prefix, saturation on overflow); there is no errno. */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

static int digit_value(int c)
{
	if (isdigit(c))
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Parses the magnitude; *neg gets the sign, *overflow whether the magnitude
 * passed `limit`.  *end points past the last digit used, or at s if none. */
static unsigned long long parse_magnitude(const char *s, char **end, int base, bool *neg,
					  unsigned long long limit, bool *overflow)
{
	const char *p = s;
	unsigned long long value = 0;
	bool any = false;

	*neg = false;
	*overflow = false;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit_value((unsigned char)p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	if (base < 2 || base > 36) {
		if (end)
			*end = (char *)s;
		return 0;
	}
	for (;; p++) {
		int d = digit_value((unsigned char)*p);

		if (d >= base)
			break;
		any = true;
		if (value > (limit - (unsigned)d) / (unsigned)base)
			*overflow = true;
		else
			value = value * (unsigned)base + (unsigned)d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	return value;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
	bool neg, overflow;
	unsigned long long v = parse_magnitude(s, end, base, &neg, ULLONG_MAX, &overflow);

	if (overflow)
		return ULLONG_MAX;
	return neg ? -v : v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	return strtoull(s, end, base);
}

long strtol(const char *s, char **end, int base)
{
	bool neg, overflow;
	unsigned long long v = parse_magnitude(s, end, base, &neg,
					       (unsigned long long)LONG_MAX + 1, &overflow);

	if (overflow || (!neg && v > LONG_MAX))
		return neg ? LONG_MIN : LONG_MAX;
	return neg ? (long)(0 - v) : (long)v;
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

int abs(int v)
{
	return v < 0 ? -v : v;
}
