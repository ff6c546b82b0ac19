/* Unit tests for latency_histogram: buckets, percentiles and the JSON form. */
#include <stdlib.h>

#include "latency_histogram.h"
#include "test.h"

static struct latency_histogram *empty_histogram(void)
{
    return calloc(1, sizeof(struct latency_histogram));
}

static void test_small_durations_have_a_bucket_each(void)
{
    for (uint64_t value = 0; value < 16; value++) {
        uint64_t lower, upper;
        latency_histogram_bucket_range(latency_histogram_bucket(value), &lower, &upper);
        ASSERT_EQ_INT(value, lower);
        ASSERT_EQ_INT(value, upper);
    }
}

static void test_every_bucket_holds_what_falls_in_it_within_a_sixteenth(void)
{
    const uint64_t samples[] = { 16, 31, 32, 33, 100, 999, 1000, 1023, 1024, 4999, 123456, 60000000, 1ULL << 39 };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        uint64_t lower, upper;
        latency_histogram_bucket_range(latency_histogram_bucket(samples[i]), &lower, &upper);
        ASSERT_TRUE(lower <= samples[i] && samples[i] <= upper);
        ASSERT_TRUE((upper - lower + 1) * 16 <= lower);
    }
}

static void test_buckets_are_contiguous(void)
{
    uint64_t previous_upper, lower, upper;
    latency_histogram_bucket_range(0, &lower, &previous_upper);
    for (size_t index = 1; index < LATENCY_HISTOGRAM_BUCKETS; index++) {
        latency_histogram_bucket_range(index, &lower, &upper);
        ASSERT_EQ_INT(previous_upper + 1, lower);
        ASSERT_EQ_INT(index, latency_histogram_bucket(lower));
        previous_upper = upper;
    }
    ASSERT_TRUE(previous_upper == UINT64_MAX);
}

static void test_huge_durations_share_the_last_bucket(void)
{
    ASSERT_EQ_INT(LATENCY_HISTOGRAM_BUCKETS - 1, latency_histogram_bucket(UINT64_MAX));
    ASSERT_EQ_INT(LATENCY_HISTOGRAM_BUCKETS - 1, latency_histogram_bucket(1ULL << 40));
}

static void test_percentiles_of_one_to_a_thousand(void)
{
    struct latency_histogram *histogram = empty_histogram();
    for (uint64_t value = 1; value <= 1000; value++)
        latency_histogram_record(histogram, value);
    uint64_t p50 = latency_histogram_percentile(histogram, 0.5), p99 = latency_histogram_percentile(histogram, 0.99);
    uint64_t max = latency_histogram_percentile(histogram, 1.0);
    free(histogram);
    ASSERT_TRUE(p50 >= 500 && p50 <= 500 + 500 / 16);
    ASSERT_TRUE(p99 >= 990 && p99 <= 990 + 990 / 16);
    ASSERT_EQ_INT(1000, max);
}

static void test_percentile_is_capped_at_the_maximum(void)
{
    struct latency_histogram *histogram = empty_histogram();
    latency_histogram_record(histogram, 1000); /* bucket [992, 1023] */
    uint64_t p50 = latency_histogram_percentile(histogram, 0.5);
    free(histogram);
    ASSERT_EQ_INT(1000, p50);
}

static void test_empty_histogram_answers_zero(void)
{
    struct latency_histogram *histogram = empty_histogram();
    uint64_t p99 = latency_histogram_percentile(histogram, 0.99);
    free(histogram);
    ASSERT_EQ_INT(0, p99);
}

static void test_json_has_the_figures_and_the_occupied_buckets(void)
{
    struct latency_histogram *histogram = empty_histogram();
    latency_histogram_record(histogram, 3);
    latency_histogram_record(histogram, 3);
    latency_histogram_record(histogram, 2000);
    cJSON *json = latency_histogram_to_json(histogram);
    free(histogram);
    ASSERT_NOT_NULL(json);
    char *text = cJSON_PrintUnformatted(json);
    cJSON_Delete(json);
    ASSERT_EQ_STR("{\"count\":3,\"meanMicroseconds\":668.7,\"p50\":3,\"p90\":2000,\"p99\":2000,\"p999\":2000,"
                  "\"max\":2000,\"buckets\":[[3,3,2],[1984,2000,1]]}",
                  text);
    cJSON_free(text);
}

int main(void)
{
    RUN(test_small_durations_have_a_bucket_each);
    RUN(test_every_bucket_holds_what_falls_in_it_within_a_sixteenth);
    RUN(test_buckets_are_contiguous);
    RUN(test_huge_durations_share_the_last_bucket);
    RUN(test_percentiles_of_one_to_a_thousand);
    RUN(test_percentile_is_capped_at_the_maximum);
    RUN(test_empty_histogram_answers_zero);
    RUN(test_json_has_the_figures_and_the_occupied_buckets);
    return test_done();
}
