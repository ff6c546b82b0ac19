/*
 * test_engine_names.c - unit tests for loan-processor/engine/engine_names.c:
 * the ARNs and store ids of executions, EXPRESS ones included.
 */
#include "engine_internal.h"
#include "test.h"

#include <errno.h>

#define MACHINE "arn:aws:states:us-east-1:123456789012:stateMachine:Quick"
#define UUID "0f8fad5b-d9cb-469f-a165-70867728950e"

static void test_standard_execution_arn(void)
{
    char out[256];
    ASSERT_EQ_INT(0, engine_execution_arn(MACHINE, "run", out, sizeof(out)));
    ASSERT_EQ_STR("arn:aws:states:us-east-1:123456789012:execution:Quick:run", out);
}

static void test_express_arn_and_its_store_id(void)
{
    char arn[256], id[256];
    ASSERT_EQ_INT(0, engine_express_arn(MACHINE, "run", UUID, arn, sizeof(arn)));
    ASSERT_EQ_STR("arn:aws:states:us-east-1:123456789012:express:Quick:run:" UUID, arn);
    ASSERT_EQ_INT(0, engine_express_execution_id(arn, id, sizeof(id)));
    ASSERT_EQ_STR("Quick:" UUID, id);
}

static void test_what_is_not_an_express_arn(void)
{
    char id[256], small[8];
    ASSERT_EQ_INT(-EINVAL, engine_express_execution_id("arn:aws:states:us-east-1:123456789012:execution:Quick:run", id,
                                                       sizeof(id)));
    ASSERT_EQ_INT(-EINVAL,
                  engine_express_execution_id("arn:aws:states:us-east-1:123456789012:express:Quick", id, sizeof(id)));
    ASSERT_EQ_INT(-EINVAL,
                  engine_express_execution_id("arn:aws:states:us-east-1:123456789012:express::run:u", id, sizeof(id)));
    ASSERT_EQ_INT(-EINVAL, engine_express_execution_id("express:Quick:run:" UUID, id, sizeof(id)));
    ASSERT_EQ_INT(-EINVAL, engine_express_execution_id("arn:aws:states:us-east-1:123456789012:express:Quick:run:" UUID,
                                                       small, sizeof(small)));
    char arn[64];
    ASSERT_EQ_INT(-EINVAL, engine_express_arn(MACHINE, "run", UUID, arn, sizeof(arn))); /* does not fit */
    ASSERT_EQ_INT(-EINVAL, engine_express_arn("not-an-arn", "run", UUID, arn, sizeof(arn)));
}

int main(void)
{
    RUN(test_standard_execution_arn);
    RUN(test_express_arn_and_its_store_id);
    RUN(test_what_is_not_an_express_arn);
    return test_done();
}
