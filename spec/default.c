/* default.c: see spec/spec.h */
#include "spec/spec.h"
