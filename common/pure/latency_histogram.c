/* latency_histogram - see latency_histogram.h. */
#include "latency_histogram.h"

#include <math.h>
#include <stdbool.h>

/* Buckets [0, 16) hold 0..15 us one each; bucket 16 * (p + 1) + s holds [(16 + s) << p, (17 + s) << p). */
size_t latency_histogram_bucket(uint64_t microseconds)
{
    if (microseconds < LATENCY_HISTOGRAM_SUB_BUCKETS)
        return (size_t)microseconds;
    unsigned power = (unsigned)(63 - __builtin_clzll(microseconds)) - 4; /* the value is 16..31 << power */
    if (power >= LATENCY_HISTOGRAM_POWERS)
        return LATENCY_HISTOGRAM_BUCKETS - 1;
    size_t sub_bucket = (size_t)(microseconds >> power) - LATENCY_HISTOGRAM_SUB_BUCKETS;
    return LATENCY_HISTOGRAM_SUB_BUCKETS * (power + 1) + sub_bucket;
}

void latency_histogram_bucket_range(size_t index, uint64_t *lower_us, uint64_t *upper_us)
{
    if (index < LATENCY_HISTOGRAM_SUB_BUCKETS) {
        *lower_us = *upper_us = index;
        return;
    }
    unsigned power = (unsigned)(index / LATENCY_HISTOGRAM_SUB_BUCKETS) - 1;
    uint64_t sub_bucket = index % LATENCY_HISTOGRAM_SUB_BUCKETS;
    *lower_us = (LATENCY_HISTOGRAM_SUB_BUCKETS + sub_bucket) << power;
    *upper_us = index == LATENCY_HISTOGRAM_BUCKETS - 1
                    ? UINT64_MAX
                    : ((LATENCY_HISTOGRAM_SUB_BUCKETS + sub_bucket + 1) << power) - 1;
}

void latency_histogram_record(struct latency_histogram *histogram, uint64_t microseconds)
{
    histogram->counts[latency_histogram_bucket(microseconds)]++;
    histogram->count++;
    histogram->sum_us += microseconds;
    if (microseconds > histogram->max_us)
        histogram->max_us = microseconds;
}

uint64_t latency_histogram_percentile(const struct latency_histogram *histogram, double fraction)
{
    if (histogram->count == 0)
        return 0;
    double wanted = ceil(fraction * (double)histogram->count);
    uint64_t rank = wanted < 1 ? 1 : wanted > (double)histogram->count ? histogram->count : (uint64_t)wanted;
    uint64_t seen = 0;
    for (size_t index = 0; index < LATENCY_HISTOGRAM_BUCKETS; index++) {
        seen += histogram->counts[index];
        if (seen >= rank) {
            uint64_t lower, upper;
            latency_histogram_bucket_range(index, &lower, &upper);
            return upper < histogram->max_us ? upper : histogram->max_us;
        }
    }
    return histogram->max_us;
}

static cJSON *buckets_to_json(const struct latency_histogram *histogram)
{
    cJSON *buckets = cJSON_CreateArray();
    for (size_t index = 0; buckets && index < LATENCY_HISTOGRAM_BUCKETS; index++) {
        if (histogram->counts[index] == 0)
            continue;
        uint64_t lower, upper;
        latency_histogram_bucket_range(index, &lower, &upper);
        const double triple[] = { (double)lower, (double)(upper < histogram->max_us ? upper : histogram->max_us),
                                  (double)histogram->counts[index] };
        cJSON *entry = cJSON_CreateDoubleArray(triple, 3);
        if (!entry || !cJSON_AddItemToArray(buckets, entry)) {
            cJSON_Delete(entry);
            cJSON_Delete(buckets);
            return NULL;
        }
    }
    return buckets;
}

cJSON *latency_histogram_to_json(const struct latency_histogram *histogram)
{
    cJSON *object = cJSON_CreateObject();
    cJSON *buckets = buckets_to_json(histogram);
    double mean = histogram->count ? (double)histogram->sum_us / (double)histogram->count : 0;
    const struct {
        const char *name;
        double value;
    } figures[] = {
        { "count", (double)histogram->count },
        { "meanMicroseconds", round(mean * 10) / 10 },
        { "p50", (double)latency_histogram_percentile(histogram, 0.50) },
        { "p90", (double)latency_histogram_percentile(histogram, 0.90) },
        { "p99", (double)latency_histogram_percentile(histogram, 0.99) },
        { "p999", (double)latency_histogram_percentile(histogram, 0.999) },
        { "max", (double)histogram->max_us },
    };
    bool complete = object && buckets;
    for (size_t i = 0; complete && i < sizeof(figures) / sizeof(figures[0]); i++)
        complete = cJSON_AddNumberToObject(object, figures[i].name, figures[i].value) != NULL;
    if (!complete || !cJSON_AddItemToObject(object, "buckets", buckets)) {
        cJSON_Delete(object);
        cJSON_Delete(buckets);
        return NULL;
    }
    return object;
}
