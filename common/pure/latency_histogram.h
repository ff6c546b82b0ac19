/*
 * latency_histogram - a fixed-size histogram of durations in microseconds,
 * for the figures a server reports about itself (GET /stats): count, mean,
 * maximum and percentiles with a bounded relative error.
 *
 * Buckets are log-linear, as in HdrHistogram: durations under 16 us each
 * have their own bucket; above, every power of two is split into 16 equal
 * buckets, so a bucket is at most 1/16 (6.25 %) as wide as the values in
 * it. Durations from about 2^40 us (12 days) on share the last bucket. A
 * percentile is answered with the upper end of its bucket (never below the
 * true value, except past the last bucket), capped at the maximum seen.
 *
 * Pure: no allocation, no clock, no I/O.
 */
#ifndef LATENCY_HISTOGRAM_H
#define LATENCY_HISTOGRAM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define LATENCY_HISTOGRAM_SUB_BUCKETS 16
#define LATENCY_HISTOGRAM_POWERS 36
#define LATENCY_HISTOGRAM_BUCKETS (LATENCY_HISTOGRAM_SUB_BUCKETS * (LATENCY_HISTOGRAM_POWERS + 1))

/* Zero-initialised (= {0}) is an empty histogram. */
struct latency_histogram {
    uint64_t counts[LATENCY_HISTOGRAM_BUCKETS];
    uint64_t count;
    uint64_t sum_us;
    uint64_t max_us;
};

/* Adds one duration. */
void latency_histogram_record(struct latency_histogram *histogram, uint64_t microseconds);

/* The bucket a duration falls in, and the range [lower, upper] of durations bucket index holds. */
size_t latency_histogram_bucket(uint64_t microseconds);
void latency_histogram_bucket_range(size_t index, uint64_t *lower_us, uint64_t *upper_us);

/*
 * The duration below or at which fraction (0..1) of the recorded ones
 * fall: the upper end of the bucket holding the nearest-rank value, capped
 * at the maximum. 0 when the histogram is empty.
 */
uint64_t latency_histogram_percentile(const struct latency_histogram *histogram, double fraction);

/*
 * The histogram as a JSON object: {"count","meanMicroseconds","p50","p90",
 * "p99","p999","max" (all in microseconds), "buckets":[[lower, upper,
 * count], ...]} with only the buckets that hold something. Returns NULL
 * when out of memory; the caller owns the object.
 */
cJSON *latency_histogram_to_json(const struct latency_histogram *histogram);

#endif
