/* Vocabularies: codes, aliases from council exports, day ranges, unknown terms. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "inputs/vocab.h"

/* Inline arrays, not pointers: Criterion re-executes the test binary for each
 * parameter, so pointers into the parent's memory are not valid there. */
typedef struct vcase {
    int vocab;
    char text[48];
    bool ok;
    uint32_t bits;
    char bad[32];
} vcase;

ParameterizedTestParameters(vocab, lists_parse_to_bits)
{
    static vcase cases[] = {
        {GM__V_NEEDS, "learning_disability", true, GM_NEED_LEARNING_DISABILITY, ""},
        {GM__V_NEEDS, "Learning Disability; Autism", true, GM_NEED_LEARNING_DISABILITY | GM_NEED_AUTISM, ""},
        {GM__V_NEEDS, "LD,MH", true, GM_NEED_LEARNING_DISABILITY | GM_NEED_MENTAL_HEALTH, ""},
        {GM__V_NEEDS, "mental-health | sensory", true, GM_NEED_MENTAL_HEALTH | GM_NEED_SENSORY, ""},
        {GM__V_NEEDS, "all", true, (1u << GM_NEED_COUNT) - 1, ""},
        {GM__V_NEEDS, "learning dissability", false, 0, "learning dissability"},
        {GM__V_NEEDS, "", true, 0, ""},
        {GM__V_SERVICES, "1:1", true, GM_SERVICE_ONE_TO_ONE, ""},
        {GM__V_SERVICES, "Skills and Training;small group", true,
         GM_SERVICE_SKILLS_TRAINING | GM_SERVICE_SMALL_GROUP, ""},
        {GM__V_SERVICES, "day centre", true, GM_SERVICE_BUILDING_BASED, ""},
        {GM__V_SERVICES, "respite", false, 0, "respite"},
        {GM__V_DAYS, "Mon;Wed;Fri", true, 0x15, ""},
        {GM__V_DAYS, "Mon-Fri", true, 0x1f, ""},
        {GM__V_DAYS, "monday, tuesday", true, 0x03, ""},
        {GM__V_DAYS, "Fri-Mon", true, 0x71, ""},
        {GM__V_DAYS, "Mon;Fnd", false, 0, "Fnd"},
    };
    return cr_make_param_array(vcase, cases, sizeof cases / sizeof *cases);
}

ParameterizedTest(vcase *c, vocab, lists_parse_to_bits)
{
    uint32_t bits = 0xdead;
    char bad[64] = "";
    bool ok = gm__vocab_parse((gm__vocab)c->vocab, c->text, &bits, bad, sizeof bad);
    cr_assert_eq(ok, c->ok, "'%s'", c->text);
    if (ok)
        cr_assert_eq(bits, c->bits, "'%s': got %#x want %#x", c->text, bits, c->bits);
    else
        cr_assert_str_eq(bad, c->bad);
}

Test(vocab, enumerations_accept_aliases_and_reject_others)
{
    gm_transport t;
    cr_assert(gm__parse_transport("Specialist transport", &t));
    cr_assert_eq(t, GM_TRANSPORT_SPECIALIST);
    cr_assert(gm__parse_transport("travel-trained", &t));
    cr_assert_eq(t, GM_TRANSPORT_TRAVEL_TRAINED);
    cr_assert_not(gm__parse_transport("bicycle", &t));
    gm_funding f;
    cr_assert(gm__parse_funding("Direct Payment", &f));
    cr_assert_eq(f, GM_FUNDING_DIRECT_PAYMENT);
    gm_framework_status s;
    cr_assert(gm__parse_framework_status("SPOT", &s));
    cr_assert_eq(s, GM_STATUS_SPOT);
    bool b;
    cr_assert(gm__parse_yesno("Yes", &b) && b);
    cr_assert(gm__parse_yesno("n", &b) && !b);
    cr_assert_not(gm__parse_yesno("maybe", &b));
}

Test(vocab, codes_text_round_trips)
{
    char buf[128];
    gm_codes_text('n', GM_NEED_AUTISM | GM_NEED_DEMENTIA, buf, sizeof buf);
    cr_assert_str_eq(buf, "autism;dementia");
    gm_codes_text('d', 0x15, buf, sizeof buf);
    cr_assert_str_eq(buf, "Mon;Wed;Fri");
    gm_codes_text('s', GM_SERVICE_ONE_TO_ONE, buf, sizeof buf);
    cr_assert_str_eq(buf, "one_to_one");
    uint32_t bits;
    char bad[8];
    cr_assert(gm__vocab_parse(GM__V_DAYS, "Mon;Wed;Fri", &bits, bad, sizeof bad));
    gm_codes_text('d', 0, buf, sizeof buf);
    cr_assert_str_eq(buf, "");
}
