#include "runtime/runtime.h"
int main(void) { return 0; }
