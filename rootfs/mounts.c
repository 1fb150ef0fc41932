/* mounts.c: see rootfs/rootfs.h */
#include "rootfs/rootfs.h"
