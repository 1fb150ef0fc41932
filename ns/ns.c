/* ns.c: see ns/ns.h */
#include "ns/ns.h"
