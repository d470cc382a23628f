/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Registration of osnic services with rpcbind (lib/rpcbind.c). */
#ifndef OSNIC_LIB_RPCBIND_H
#define OSNIC_LIB_RPCBIND_H

#include <stdint.h>

int osnic__rpcbind_set(uint32_t prog, uint32_t vers, uint16_t port);
void osnic__rpcbind_unset(uint32_t prog, uint32_t vers);

#endif /* OSNIC_LIB_RPCBIND_H */
