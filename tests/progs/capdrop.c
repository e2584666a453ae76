// SPDX-License-Identifier: GPL-2.0-only
/*
 * capdrop N[,N...] PROG [ARGS...]: drops the capabilities numbered N (linux/capability.h, e.g.
 * 14 for CAP_IPC_LOCK) from the bounding set, then execs PROG. A root PROG then runs without
 * them (execve(2) gives root the bounding set as its permitted set: capabilities(7)), which
 * lets the test bed's root shell try armpass without CAP_IPC_LOCK (its RLIMIT_MEMLOCK check).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *list, *tok, *save = NULL;

    if (argc < 3) {
        fprintf(stderr, "usage: capdrop N[,N...] PROG [ARGS...]\n");
        return 2;
    }
    list = strdup(argv[1]);
    for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long cap = strtol(tok, &end, 10);

        if (*end || cap < 0 || prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
            fprintf(stderr, "capdrop: cannot drop capability %s: %s\n", tok,
                    *end ? "not a number" : strerror(errno));
            return 2;
        }
    }
    free(list);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "capdrop: exec %s: %s\n", argv[2], strerror(errno));
    return 127;
}
