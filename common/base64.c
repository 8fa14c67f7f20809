/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Base64 with padding, strict on input: only the standard alphabet, the
 * right padding, nothing after it.
 */

#include "compat.h"

#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "base64.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int	b64_value(int);

/* Encode; returns the length written (NUL not counted), 0 if no room. */
size_t
base64_encode(const u_char *in, size_t len, char *out, size_t outlen)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	if (outlen < BASE64_LEN(len))
		return (0);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64[v >> 18 & 0x3f];
		out[o++] = b64[v >> 12 & 0x3f];
		out[o++] = b64[v >> 6 & 0x3f];
		out[o++] = b64[v & 0x3f];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = b64[v >> 18 & 0x3f];
		out[o++] = b64[v >> 12 & 0x3f];
		out[o++] = i + 1 < len ? b64[v >> 6 & 0x3f] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return (o);
}

static int
b64_value(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return (-1);
	return ((int)(p - b64));
}

/* Decode; returns the bytes written, or -1 for bad input or no room. */
ssize_t
base64_decode(const char *in, size_t len, u_char *out, size_t outlen)
{
	size_t		 i, o = 0, pad = 0;
	uint32_t	 v;
	int		 c, k;

	if (len % 4 != 0)
		return (-1);
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2 &&
			    (k == 3 || in[i + 3] == '=')) {
				pad++;
				v <<= 6;
				continue;
			}
			if (pad > 0 || (c = b64_value(in[i + k])) == -1)
				return (-1);
			v = v << 6 | (uint32_t)c;
		}
		if (o + 3 - pad > outlen)
			return (-1);
		out[o++] = v >> 16 & 0xff;
		if (pad < 2)
			out[o++] = v >> 8 & 0xff;
		if (pad < 1)
			out[o++] = v & 0xff;
	}
	return ((ssize_t)o);
}
