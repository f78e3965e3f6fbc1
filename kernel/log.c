/* The core's log: formats a line, then writes it to the serial console and
 * to a ring buffer.  Lines are whole: one lock covers both writes. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "serial.h"
#include "spinlock.h"

#define LOG_RING_SIZE (64 * 1024)
#define LOG_LINE_MAX 512

static char log_ring[LOG_RING_SIZE];
static uint64_t log_ring_head; /* total bytes ever written */
static enum log_level log_threshold = LOG_INFO;
static struct spinlock log_lock;

static const char *const level_tag[] = {
	[LOG_ERROR] = "error: ",
	[LOG_WARN] = "warning: ",
	[LOG_INFO] = "",
	[LOG_DEBUG] = "debug: ",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

static void ring_append(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_ring[(log_ring_head + i) % LOG_RING_SIZE] = s[i];
	log_ring_head += n;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	if (level > log_threshold)
		return;
	n = snprintf(line, sizeof(line), "shoji: %s", level_tag[level]);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';

	/* A CPU that panicked while holding the lock must not silence the
	 * others' reports forever: give up waiting after a while. */
	bool locked = false;

	for (unsigned tries = 0; tries < 1000000 && !locked; tries++)
		locked = spin_trylock(&log_lock);
	serial_write(line, (size_t)n);
	ring_append(line, (size_t)n);
	if (locked)
		spin_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

size_t log_ring_read(char *buf, size_t n)
{
	uint64_t avail = log_ring_head < LOG_RING_SIZE ? log_ring_head : LOG_RING_SIZE;
	uint64_t count = n < avail ? n : avail;

	for (uint64_t i = 0; i < count; i++)
		buf[i] = log_ring[(log_ring_head - count + i) % LOG_RING_SIZE];
	return count;
}
