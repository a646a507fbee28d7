/* hello: the smallest guest. Prints one line, echoes its arguments and exits 0 by returning from main. */
#include "jkvm.h"

int main(int argc, char **argv)
{
    printf("Hello from jkvm guest\n");
    printf("argv[0]: %s\n", argv[0]);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d]: %s\n", i, argv[i]);
    }
    printf("PASS %s\n", jkvm_guest_name);
    return 0;
}
