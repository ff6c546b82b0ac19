/*
 * test_history - events built without ids, numbered by the commit: the
 * references between events of a batch, the placeholders that quote them,
 * and history_batch_render(), the commit script's rule in C.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "interpreter.h"
#include "interpreter_checks.h"
#include "test.h"

#define BATCH_MS 1700000000000LL

/* The id (or previousEventId, with member) of the index-th rendered event. */
static long rendered_number(const cJSON *events, int index, const char *member)
{
    return (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(events, index), member));
}

/* The cause of the index-th rendered event (an ExecutionFailed), or NULL. */
static const char *rendered_cause(const cJSON *events, int index)
{
    const cJSON *details =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(events, index), "executionFailedEventDetails");
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, "cause"));
}

/* Appends an event of type with one string detail; whether that worked. */
static bool append(struct history_batch *batch, const char *type, const char *member, const char *value)
{
    return history_append(batch, type, "executionFailedEventDetails", history_details(member, value, NULL)) == 0;
}

static void test_refs_are_formatted_as_digits_or_placeholders(void)
{
    char text[HISTORY_REF_TEXT_SIZE];
    ASSERT_EQ_STR("42", history_format_ref(history_ref_stored(42), text));
    ASSERT_EQ_STR("\x01"
                  "3\x01",
                  history_format_ref(history_ref_in_batch(3), text));
}

static void test_an_empty_batch_names_no_event_of_its_own(void)
{
    struct history_batch batch;
    ASSERT_EQ_INT(0, history_batch_init(&batch, 7, BATCH_MS));
    struct history_ref last = history_last(&batch);
    ASSERT_EQ_INT(0, last.batch_index);
    ASSERT_EQ_INT(0, (int)history_batch_count(&batch));
    ASSERT_EQ_INT(7, history_total_events(&batch));
    history_batch_release(&batch);
}

static void test_a_batch_follows_the_branch_then_itself_at_any_base(void)
{
    struct history_batch batch;
    cJSON *at_start = NULL, *later = NULL;
    bool ok = history_batch_init(&batch, 0, BATCH_MS) == 0 && append(&batch, "ExecutionStarted", "a", "1");
    history_set_previous(&batch, history_ref_stored(0)); /* AWS: the first state follows event 0 */
    ok = ok && append(&batch, "PassStateEntered", "a", "2") && append(&batch, "PassStateExited", "a", "3");
    ASSERT_TRUE(ok);
    ASSERT_EQ_INT(3, history_last(&batch).batch_index);
    ASSERT_EQ_INT(3, history_total_events(&batch));
    at_start = history_batch_render(&batch, 0, 0);
    /* The same batch committed by a branch whose last event is 7, after others grew the history to 10. */
    later = history_batch_render(&batch, 10, 7);
    long ids[] = { rendered_number(at_start, 0, "id"), rendered_number(at_start, 1, "id"),
                   rendered_number(at_start, 2, "id"), rendered_number(later, 0, "id"),
                   rendered_number(later, 2, "id") };
    long previous[] = {
        rendered_number(at_start, 0, "previousEventId"), rendered_number(at_start, 1, "previousEventId"),
        rendered_number(at_start, 2, "previousEventId"), rendered_number(later, 0, "previousEventId"),
        rendered_number(later, 1, "previousEventId"),    rendered_number(later, 2, "previousEventId")
    };
    bool typed = strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(later, 1), "type")),
                        "PassStateEntered")
                 == 0;
    bool stamped = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(later, 1), "timestamp"))
                   == (double)BATCH_MS / 1000.0;
    cJSON_Delete(at_start);
    cJSON_Delete(later);
    history_batch_release(&batch);
    ASSERT_EQ_INT(1, ids[0]);
    ASSERT_EQ_INT(2, ids[1]);
    ASSERT_EQ_INT(3, ids[2]);
    ASSERT_EQ_INT(11, ids[3]);
    ASSERT_EQ_INT(13, ids[4]);
    ASSERT_EQ_INT(0, previous[0]);
    ASSERT_EQ_INT(0, previous[1]);
    ASSERT_EQ_INT(2, previous[2]);
    ASSERT_EQ_INT(7, previous[3]);
    ASSERT_EQ_INT(0, previous[4]);
    ASSERT_EQ_INT(12, previous[5]);
    ASSERT_TRUE(typed);
    ASSERT_TRUE(stamped);
}

static void test_events_of_a_batch_may_name_each_other_on_the_wire(void)
{
    struct history_batch batch;
    char previous[3][HISTORY_REF_TEXT_SIZE], *body = NULL;
    bool ok = history_batch_init(&batch, 4, BATCH_MS) == 0 && append(&batch, "ParallelStateStarted", "a", "1")
              && append(&batch, "PassStateEntered", "a", "2");
    history_set_previous(&batch, history_ref_in_batch(1)); /* a second branch starts at the fork */
    ok = ok && append(&batch, "PassStateEntered", "a", "3");
    ok = ok && history_wire_event(&batch, 0, previous[0], &body) == 0;
    free(body);
    ok = ok && history_wire_event(&batch, 1, previous[1], &body) == 0;
    free(body);
    ok = ok && history_wire_event(&batch, 2, previous[2], &body) == 0;
    ASSERT_TRUE(ok);
    ASSERT_EQ_INT(-EINVAL, history_wire_event(&batch, 3, previous[0], &body));
    cJSON *events = history_batch_render(&batch, 4, 4);
    long third_previous = rendered_number(events, 2, "previousEventId");
    cJSON_Delete(events);
    history_batch_release(&batch);
    ASSERT_EQ_STR("", previous[0]);
    ASSERT_EQ_STR("", previous[1]);
    ASSERT_EQ_STR("@1", previous[2]);
    ASSERT_TRUE(body && body[0] == '{' && !strstr(body, "\"id\"") && !strstr(body, "previousEventId"));
    free(body);
    ASSERT_EQ_INT(5, third_previous);
}

static void test_a_cause_quoting_an_entered_event_of_its_batch_gets_its_id(void)
{
    struct history_batch batch;
    char id[HISTORY_REF_TEXT_SIZE], cause[128], previous[HISTORY_REF_TEXT_SIZE], *body = NULL;
    bool ok = history_batch_init(&batch, 6, BATCH_MS) == 0 && append(&batch, "TaskSucceeded", "a", "1")
              && append(&batch, "ChoiceStateEntered", "a", "2");
    snprintf(cause, sizeof(cause), "entered at the event id #%s", history_format_ref(history_last(&batch), id));
    ok = ok && append(&batch, "ExecutionFailed", "cause", cause);
    history_mark_placeholders(&batch);
    ok = ok && history_wire_event(&batch, 2, previous, &body) == 0;
    ASSERT_TRUE(ok);
    ASSERT_TRUE(history_batch_has_placeholders(&batch));
    /* On the wire the placeholder is raw: a JSON text never holds that byte otherwise. */
    ASSERT_TRUE(strstr(body, "#\x01"
                             "2\x01\"")
                != NULL);
    free(body);
    cJSON *events = history_batch_render(&batch, 6, 6);
    cJSON *moved = history_batch_render(&batch, 40, 6);
    char *first = strdup(rendered_cause(events, 2) ? rendered_cause(events, 2) : "");
    char *second = strdup(rendered_cause(moved, 2) ? rendered_cause(moved, 2) : "");
    cJSON_Delete(events);
    cJSON_Delete(moved);
    history_batch_release(&batch);
    ASSERT_EQ_STR("entered at the event id #8", first);
    ASSERT_EQ_STR("entered at the event id #42", second);
    free(first);
    free(second);
}

static void test_only_marked_events_hold_placeholders(void)
{
    struct history_batch batch;
    /* A task's own cause holding U+0001 digits U+0001 is data, not a placeholder. */
    bool ok = history_batch_init(&batch, 0, BATCH_MS) == 0
              && append(&batch, "TaskFailed", "cause",
                        "x\x01"
                        "1\x01y");
    ok = ok
         && append(&batch, "ExecutionFailed", "cause",
                   "a\\u00011\\u0001b \x01"
                   "1\x01");
    history_mark_placeholders(&batch);
    ASSERT_TRUE(ok);
    cJSON *events = history_batch_render(&batch, 3, 3);
    char *task_cause = NULL, *failed_cause = NULL;
    const cJSON *details =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(events, 0), "executionFailedEventDetails");
    task_cause = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(details, "cause")));
    failed_cause = strdup(rendered_cause(events, 1));
    cJSON_Delete(events);
    history_batch_release(&batch);
    ASSERT_EQ_STR("x\x01"
                  "1\x01y",
                  task_cause);
    /* An escaped backslash before "u0001" is text too. */
    ASSERT_EQ_STR("a\\u00011\\u0001b 4", failed_cause);
    free(task_cause);
    free(failed_cause);
}

static void test_resolving_text_grows_it_where_ids_are_longer(void)
{
    char *text = history_resolve_text("#\x01"
                                      "1\x01 and \x01"
                                      "12\x01, \x01x\x01",
                                      99999);
    ASSERT_EQ_STR("#100000 and 100011, \x01x\x01", text);
    free(text);
}

/* A Choice entered in the start step matches nothing: its cause quotes its entered event by placeholder. */
static void test_a_step_quotes_its_own_entered_event_by_placeholder(void)
{
    static const char definition[] =
        "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.a\","
        "\"NumericEquals\":2,\"Next\":\"D\"}]},\"D\":{\"Type\":\"Succeed\"}}}";
    struct state_machine *machine = parse_machine(definition);
    struct execution_facts run_facts = facts;
    struct step_environment environment = { .now_ms = NOW_MS, .fresh_token = TOKEN };
    struct interpreter_step step;
    run_facts.input = SMALL_INPUT;
    memset(&step, 0, sizeof(step));
    int rc = machine ? interpreter_start(machine, &run_facts, &environment, &step) : -EINVAL;
    bool quoted = rc == 0 && step.cause
                  && strstr(step.cause, "#\x01"
                                        "2\x01)");
    bool flagged = rc == 0 && step.cause_has_placeholders && history_batch_has_placeholders(&step.history);
    int rendered = rc == 0 ? render_step(&step) : rc;
    char *cause = step.cause ? strdup(step.cause) : NULL;
    interpreter_step_release(&step);
    state_machine_free(machine);
    ASSERT_TRUE(quoted);
    ASSERT_TRUE(flagged);
    ASSERT_EQ_INT(0, rendered);
    ASSERT_TRUE(cause && strstr(cause, "(entered at the event id #2). No Choice Rule matched"));
    free(cause);
}

int main(void)
{
    RUN(test_refs_are_formatted_as_digits_or_placeholders);
    RUN(test_an_empty_batch_names_no_event_of_its_own);
    RUN(test_a_batch_follows_the_branch_then_itself_at_any_base);
    RUN(test_events_of_a_batch_may_name_each_other_on_the_wire);
    RUN(test_a_cause_quoting_an_entered_event_of_its_batch_gets_its_id);
    RUN(test_only_marked_events_hold_placeholders);
    RUN(test_resolving_text_grows_it_where_ids_are_longer);
    RUN(test_a_step_quotes_its_own_entered_event_by_placeholder);
    return test_done();
}
