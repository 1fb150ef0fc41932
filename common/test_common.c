/* Unit tests of common/: the RFC 3339 formatter against glibc's gmtime_r + strftime over
 * leap years, century rules, negative times and the far future. */
#include "common/util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int failures;

static void check_time(int64_t secs, long nsec)
{
    char got[64], want[64], base[40];
    vse_rfc3339_format(secs, nsec, got, sizeof(got));
    time_t t = (time_t) secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(want, sizeof(want), "%s.%09ldZ", base, nsec);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "    %lld: got %s, want %s\n", (long long) secs, got, want);
        failures++;
    }
}

int main(void)
{
    static const int64_t fixed[] = {
        0, -1, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800 /* 2000-03-01 */,
        4107456000 /* 2100-02-28 */, 4107542400 /* 2100-03-01 */, 1709164800 /* 2024-02-29 */,
        -2208988800 /* 1900-01-01 */, 253402300799 /* 9999-12-31T23:59:59 */,
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        check_time(fixed[i], 123456789);
    /* Every day from 1600 to 2400, at a time of day that moves through the whole day. */
    for (int64_t s = -11676096000LL; s < 13569465600LL; s += 86400 + 3607)
        check_time(s, 0);
    char now[64];
    vse_rfc3339_now(now, sizeof(now));
    if (strlen(now) != 30 || now[29] != 'Z') {
        fprintf(stderr, "    now: %s\n", now);
        failures++;
    }
    printf("common: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
