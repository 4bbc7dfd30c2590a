#include "gapmap/gapmap.h"
#include <stdio.h>
int main(void) { printf("gapmap %s\n", gm_version()); return 0; }
