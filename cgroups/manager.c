/* manager.c: see cgroups/cgroups.h */
#include "cgroups/cgroups.h"
