/* Core: status table, context messages, allocation fault injection. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/core.h"

Test(core, status_names_and_texts_come_from_one_table)
{
    cr_assert_str_eq(gm_status_name(GM_OK), "GM_OK");
    cr_assert_str_eq(gm_status_name(GM_E_INPUT), "GM_E_INPUT");
    cr_assert_str_eq(gm_status_str(GM_E_NOMEM), "out of memory");
    cr_assert_str_eq(gm_status_name((gm_status)999), "GM_UNKNOWN");
}

Test(core, error_message_is_held_by_the_context)
{
    gm_ctx *ctx = NULL;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    cr_assert_str_eq(gm_ctx_errmsg(ctx), "");
    gm_status st = gm__err(ctx, GM_E_INPUT, "customers.csv line %d: bad", 212);
    cr_assert_eq(st, GM_E_INPUT);
    cr_assert_str_eq(gm_ctx_errmsg(ctx), "customers.csv line 212: bad");
    gm__err_clear(ctx);
    cr_assert_str_eq(gm_ctx_errmsg(ctx), "");
    gm_ctx_free(ctx);
    gm_ctx_free(NULL);
}

static int cancel_at_half(uint64_t done, uint64_t total, const char *label, void *user)
{
    (void)label;
    (*(int *)user)++;
    return done * 2 >= total;
}

Test(core, progress_hook_can_cancel)
{
    gm_ctx *ctx = NULL;
    int calls = 0;
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    gm_ctx_set_progress(ctx, cancel_at_half, &calls);
    cr_assert_eq(gm__progress(ctx, 1, 10, "loading"), GM_OK);
    cr_assert_eq(gm__progress(ctx, 5, 10, "loading"), GM_E_CANCELLED);
    cr_assert(strstr(gm_ctx_errmsg(ctx), "cancelled") != NULL);
    cr_assert_eq(calls, 2);
    gm_ctx_free(ctx);
}

Test(core, nth_allocation_can_be_made_to_fail)
{
    gm__alloc_fail_after(1);
    void *a = gm__malloc(8);
    void *b = gm__malloc(8);
    void *c = gm__malloc(8);
    gm__alloc_fail_after(-1);
    cr_assert_not_null(a);
    cr_assert_null(b);
    cr_assert_not_null(c);
    gm__free(a);
    gm__free(c);
}

Test(core, context_creation_fails_cleanly_without_memory)
{
    gm_ctx *ctx = NULL;
    gm__alloc_fail_after(0);
    cr_assert_eq(gm_ctx_new(&ctx), GM_E_NOMEM);
    gm__alloc_fail_after(-1);
    cr_assert_null(ctx);
}
