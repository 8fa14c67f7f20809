/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (c) 2026 The tremmasterd authors */

#ifndef LOGD_H
#define LOGD_H

struct options;

void	logd_main(const struct options *) __dead;

#endif /* LOGD_H */
