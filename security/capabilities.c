/* capabilities.c: see security/security.h */
#include "security/security.h"
