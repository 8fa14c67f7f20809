#ifndef NETD_H
#define NETD_H

struct options;

void	netd_main(const struct options *) __dead;

#endif /* NETD_H */
