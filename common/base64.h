/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

/*
 * Base64 (RFC 4648), for the WebSocket handshake.
 */

#ifndef BASE64_H
#define BASE64_H

#include <sys/types.h>

#include <stddef.h>

/* Characters needed to encode n bytes, NUL included. */
#define BASE64_LEN(n)	((((n) + 2) / 3) * 4 + 1)

size_t	base64_encode(const u_char *, size_t, char *, size_t);
ssize_t	base64_decode(const char *, size_t, u_char *, size_t);

#endif /* BASE64_H */
