#ifndef LOGD_H
#define LOGD_H

struct options;

void	logd_main(const struct options *) __dead;

#endif /* LOGD_H */
