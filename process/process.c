/* process.c: see process/process.h */
#include "process/process.h"
