/* lifecycle.c: see runtime/runtime.h */
#include "runtime/runtime.h"
