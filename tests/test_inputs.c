/*
 * Inputs: every row of customers and providers is located or rejected with a
 * reason naming file, line and field; warnings keep the row.  The fixture is a
 * seven-postcode directory and small files written by the tests, each row
 * commented with what it exercises.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gapmap/gapmap.h"
#include "core/core.h"
#include "testutil.h"

static gm_ctx *ctx;
static char dirpath[4096];

/* ONSPD-style directory: one terminated postcode (EM2 2BB), one lon/lat-free row. */
static const char *PCDIR =
    "pcd,pcds,doterm,oseast1m,osnrth1m,lsoa21\n"
    "EM1 1AA,EM1 1AA,,400000,260000,E01999001\n"
    "EM1 1AB,EM1 1AB,,400100,260050,E01999001\n"
    "EM2 2BB,EM2 2BB,201903,401000,261000,E01999002\n"
    "EM103AB,EM10 3AB,,405000,262000,E01999003\n"
    "EM4 4DD,EM4 4DD,,406000,263000,E01999004\n"
    "EM5 5EE,EM5 5EE,,407000,264000,E01999004\n"
    "EM6 6FF,EM6 6FF,,408000,265000,E01999005\n";

static const char *PROVIDERS =
    "provider_id,provider_name,site_id,site_name,postcode,easting,northing,services,needs,"
    "places_per_day,places_used,price_per_day,framework_status,open_days,virtual\n"
    /* line 2: good, by postcode */
    "P1,Kingsford Day Centre,S1,Main,EM1 1AA,,,building_based,all,30,20,45.50,framework,Mon-Fri,no\n"
    /* line 3: good, by coordinates; Welsh name */
    "P2,Canolfan Dydd Glyndŵr,S2,Tŷ Glyndŵr,,402000,262500,skills_training;small_group,learning_disability,12,12,£60.00,spot,Mon;Wed,yes\n"
    /* line 4: duplicate site id */
    "P2,Canolfan Dydd Glyndŵr,S2,Other,EM4 4DD,,,small_group,autism,10,,,framework,,\n"
    /* line 5: no location */
    "P3,Orchard Farm,S3,Farm,,,,skills_training,all,8,,,framework,,\n"
    /* line 6: negative places */
    "P3,Orchard Farm,S4,Farm 2,EM5 5EE,,,skills_training,all,-5,,,framework,,\n"
    /* line 7: good but over-full (warning) and unknown open day (warning) */
    "P4,Luncheon Club,S5,Hall,EM6 6FF,,,building_based,older_people;dementia,10,12,35,legacy,Tue;Thurs;Sunday;Funday,\n";

static const char *CUSTOMERS =
    "\xEF\xBB\xBF" "customer_id,name,postcode,needs,age_band,service,current_site,days,transport,"
    "mobility,funding,weekly_cost,preferred_site\r\n"
    /* line 2: clean, lower case unspaced postcode */
    "C1,Siân Llŷr,em11ab,learning_disability,25-34,building_based,S1,Mon;Wed,specialist,standard,framework,91.00,\r\n"
    /* line 3: duplicate of C1 */
    "C1,Another Person,EM1 1AA,autism,18-24,small_group,,,,,,,\r\n"
    /* line 4: unknown postcode */
    "C2,Dafydd ap Gruffudd,EM9 9ZZ,autism,18-24,small_group,,,,,,,\r\n"
    /* line 5: letter O for zero: EM1O 3AB -> EM10 3AB */
    "C3,Person Three,EM1O 3AB,autism,18-24,small_group,,,,,,,\r\n"
    /* line 6: terminated */
    "C4,Person Four,EM2 2BB,dementia,75-84,building_based,S5,Tue,family,reduced,spot,35,\r\n"
    /* line 7: malformed */
    "C5,Person Five,12345,autism,18-24,small_group,,,,,,,\r\n"
    /* line 8: blank postcode */
    "C6,Person Six,,autism,18-24,small_group,,,,,,,\r\n"
    /* line 9: unknown need */
    "C7,Person Seven,EM4 4DD,learning dissability,18-24,small_group,,,,,,,\r\n"
    /* line 10: blank service */
    "C8,Person Eight,EM4 4DD,autism,18-24,,,,,,,,\r\n"
    /* line 11: kept with warnings: unknown site, bad cost, bad day, quoted postcode */
    "C9,Person Nine,\"'EM5 5EE'\",physical,45-54,one_to_one,S99,Mon;Fnd,independent,standard,direct_payment,abc,S2\r\n"
    /* line 12: quoted field with an embedded newline in the (ignored) name */
    "C10,\"Person\r\nTen\",EM6  6FF,sensory,85+,building_based,S5,Tue,travel_trained,standard,framework,35.00,\r\n"
    /* line 14: blank id */
    ",Nobody,EM6 6FF,sensory,85+,building_based,,,,,,,\r\n";

static void setup(void)
{
    cr_assert_eq(gm_ctx_new(&ctx), GM_OK);
    const char *d = gmt_tmpdir("inputs");
    strcpy(dirpath, d);
    gmt_write(dirpath, "pc.csv", PCDIR);
    gmt_write(dirpath, "providers.csv", PROVIDERS);
    gmt_write(dirpath, "customers.csv", CUSTOMERS);
    gmt_write(dirpath, "run.ini",
              "[postcodes]\nfile = pc.csv\n[customers]\nfile = customers.csv\n"
              "[providers]\nfile = providers.csv\n");
}

static void teardown(void) { gm_ctx_free(ctx); }

typedef struct loaded {
    gm_config *cfg;
    gm_pcdir *dir;
    gm_inputs *in;
} loaded;

static loaded load(const char *ini)
{
    loaded l = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dirpath, ini);
    cr_assert_eq(gm_config_load(ctx, path, &l.cfg), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm_pcdir_opts po;
    gm_pcdir_opts_init(&po);
    char pc[4200];
    snprintf(pc, sizeof pc, "%s/pc.csv", dirpath);
    po.path = pc;
    po.col_postcode = "pcds";
    po.col_x = "oseast1m";
    po.col_y = "osnrth1m";
    po.col_terminated = "doterm";
    po.col_area = "lsoa21";
    cr_assert_eq(gm_pcdir_load(ctx, &po, NULL, NULL, &l.dir), GM_OK, "%s", gm_ctx_errmsg(ctx));
    gm_status st = gm_inputs_load(ctx, l.cfg, l.dir, &l.in);
    cr_assert_eq(st, GM_OK, "%s", gm_ctx_errmsg(ctx));
    return l;
}

static void unload(loaded *l)
{
    gm_inputs_free(l->in);
    gm_pcdir_free(l->dir);
    gm_config_free(l->cfg);
}

static const gm_reject *find_reject(const gm_inputs *in, const char *file, uint64_t line, bool warning,
                                    const char *field)
{
    size_t n;
    const gm_reject *r = gm_inputs_rejects(in, &n);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(r[i].file, file) && r[i].line == line && r[i].warning == warning &&
            !strcmp(r[i].field, field))
            return &r[i];
    }
    return NULL;
}

#define ASSERT_REJECT(in, file, line, warning, field, needle)                                  \
    do {                                                                                        \
        const gm_reject *r_ = find_reject(in, file, line, warning, field);                     \
        cr_assert_not_null(r_, "%s line %d: no %s on field %s", file, line,                    \
                           warning ? "warning" : "reject", field);                             \
        cr_assert(strstr(r_->reason, needle) != NULL, "%s line %d: reason '%s' lacks '%s'", file, \
                  line, r_->reason, needle);                                                   \
    } while (0)

Test(inputs, every_provider_row_is_located_or_rejected_with_its_reason, .init = setup, .fini = teardown)
{
    loaded l = load("run.ini");
    gm_input_counts c = gm_inputs_site_counts(l.in);
    cr_assert_eq(c.rows, 6);
    cr_assert_eq(c.located, 3);
    cr_assert_eq(c.rejected, 3);
    cr_assert_eq(c.warnings, 1);
    cr_assert_eq(gm_inputs_provider_count(l.in), 3);
    ASSERT_REJECT(l.in, "providers.csv", 4, false, "site_id", "already used on line 3");
    ASSERT_REJECT(l.in, "providers.csv", 5, false, "postcode", "no location");
    ASSERT_REJECT(l.in, "providers.csv", 6, false, "places_per_day", "whole number");
    ASSERT_REJECT(l.in, "providers.csv", 7, true, "places_used", "over-full");
    ASSERT_REJECT(l.in, "providers.csv", 7, true, "open_days", "Funday");

    size_t n;
    const gm_site *s = gm_inputs_sites(l.in, &n);
    cr_assert_str_eq(s[0].site_id, "S1");
    cr_assert_eq(s[0].located_by, GM_LOCATED_POSTCODE);
    cr_assert_float_eq(s[0].easting_m, 400000.0, 1e-9);
    cr_assert_float_eq(s[0].price_per_day, 45.5, 1e-9);
    cr_assert_eq(s[0].services, GM_SERVICE_BUILDING_BASED);
    cr_assert_str_eq(s[1].provider_name, "Canolfan Dydd Glyndŵr");
    cr_assert_eq(s[1].located_by, GM_LOCATED_COORDS);
    cr_assert_float_eq(s[1].northing_m, 262500.0, 1e-9);
    cr_assert_float_eq(s[1].price_per_day, 60.0, 1e-9);
    cr_assert_eq(s[1].open_days, 0x05);
    cr_assert(s[1].virtual_support);
    cr_assert_eq(s[1].status, GM_STATUS_SPOT);
    cr_assert_eq(s[2].open_days, GM_DAYS_WEEKDAYS, "bad open_days falls back to Monday-Friday");
    unload(&l);
}

Test(inputs, every_customer_row_is_located_or_rejected_with_its_reason, .init = setup, .fini = teardown)
{
    loaded l = load("run.ini");
    gm_input_counts c = gm_inputs_customer_counts(l.in);
    cr_assert_eq(c.rows, 12);
    cr_assert_eq(c.located, 3, "C1, C9 and C10 are kept");
    cr_assert_eq(c.rejected, 9);
    cr_assert_eq(c.warnings, 1);
    cr_assert_eq(c.rows, c.located + c.rejected);
    ASSERT_REJECT(l.in, "customers.csv", 3, false, "customer_id", "already used on line 2");
    ASSERT_REJECT(l.in, "customers.csv", 4, false, "postcode", "EM9 9ZZ is not in the postcode directory");
    ASSERT_REJECT(l.in, "customers.csv", 5, false, "postcode", "did you mean EM10 3AB?");
    ASSERT_REJECT(l.in, "customers.csv", 6, false, "postcode", "terminated in 2019-03");
    ASSERT_REJECT(l.in, "customers.csv", 7, false, "postcode", "not a valid postcode");
    ASSERT_REJECT(l.in, "customers.csv", 8, false, "postcode", "blank");
    ASSERT_REJECT(l.in, "customers.csv", 9, false, "needs", "learning dissability");
    ASSERT_REJECT(l.in, "customers.csv", 10, false, "service", "blank");
    ASSERT_REJECT(l.in, "customers.csv", 11, true, "current_site", "S99");
    ASSERT_REJECT(l.in, "customers.csv", 11, true, "weekly_cost", "amount");
    ASSERT_REJECT(l.in, "customers.csv", 11, true, "days", "Fnd");
    ASSERT_REJECT(l.in, "customers.csv", 14, false, "customer_id", "blank");

    size_t n;
    const gm_customer *cs = gm_inputs_customers(l.in, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(cs[0].id, "C1");
    cr_assert_str_eq(cs[0].postcode, "EM11AB");
    cr_assert_str_eq(cs[0].area, "E01999001");
    cr_assert_eq(cs[0].current_site, 0);
    cr_assert_eq(cs[0].transport, GM_TRANSPORT_SPECIALIST);
    cr_assert_float_eq(cs[0].weekly_cost, 91.0, 1e-9);
    cr_assert_str_eq(cs[1].id, "C9");
    cr_assert_eq(cs[1].current_site, -1, "unknown site dropped");
    cr_assert_eq(cs[1].preferred_site, 1);
    cr_assert(isnan(cs[1].weekly_cost));
    cr_assert_eq(cs[1].days, 0);
    cr_assert_str_eq(cs[2].id, "C10");
    cr_assert_eq(cs[2].line, 12);
    cr_assert_str_eq(cs[2].postcode, "EM66FF");
    unload(&l);
}

Test(inputs, terminated_postcodes_can_be_allowed_with_a_warning, .init = setup, .fini = teardown)
{
    gmt_write(dirpath, "allow.ini",
              "[postcodes]\nfile = pc.csv\nallow_terminated = yes\n[customers]\nfile = customers.csv\n"
              "[providers]\nfile = providers.csv\n");
    loaded l = load("allow.ini");
    ASSERT_REJECT(l.in, "customers.csv", 6, true, "postcode", "last known location");
    gm_input_counts c = gm_inputs_customer_counts(l.in);
    cr_assert_eq(c.located, 4);
    unload(&l);
}

Test(inputs, renamed_columns_are_found_through_the_config, .init = setup, .fini = teardown)
{
    gmt_write(dirpath, "cust2.csv", "ClientRef,Post Code,needs,service\nX1,EM1 1AA,autism,small_group\n");
    gmt_write(dirpath, "map.ini",
              "[postcodes]\nfile = pc.csv\n[customers]\nfile = cust2.csv\n[customers.columns]\n"
              "customer_id = ClientRef\npostcode = post code\n[providers]\nfile = providers.csv\n");
    loaded l = load("map.ini");
    size_t n;
    const gm_customer *cs = gm_inputs_customers(l.in, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(cs[0].id, "X1");
    unload(&l);
}

Test(inputs, a_missing_required_column_names_the_file_and_the_fix, .init = setup, .fini = teardown)
{
    gmt_write(dirpath, "cust3.csv", "customer_id,postcode,service\nX1,EM1 1AA,small_group\n");
    gmt_write(dirpath, "bad.ini", "[postcodes]\nfile = pc.csv\n[customers]\nfile = cust3.csv\n"
                                  "[providers]\nfile = providers.csv\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.ini", dirpath);
    gm_config *cfg = NULL;
    cr_assert_eq(gm_config_load(ctx, path, &cfg), GM_OK);
    gm_run_summary sum;
    gm_status st = gm_run(ctx, cfg, &sum);
    cr_assert_eq(st, GM_E_INPUT);
    const char *m = gm_ctx_errmsg(ctx);
    cr_assert(strstr(m, "cust3.csv: no column 'needs'") != NULL, "%s", m);
    cr_assert(strstr(m, "[customers.columns] needs =") != NULL, "%s", m);
    gm_config_free(cfg);
}

Test(inputs, every_allocation_failure_is_clean, .init = setup, .fini = teardown)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.ini", dirpath);
    gm_config *cfg = NULL;
    cr_assert_eq(gm_config_load(ctx, path, &cfg), GM_OK);
    gm_pcdir_opts po;
    gm_pcdir_opts_init(&po);
    char pc[4200];
    snprintf(pc, sizeof pc, "%s/pc.csv", dirpath);
    po.path = pc;
    po.col_postcode = "pcds";
    po.col_x = "oseast1m";
    po.col_y = "osnrth1m";
    po.col_terminated = "doterm";
    gm_pcdir *dir = NULL;
    cr_assert_eq(gm_pcdir_load(ctx, &po, NULL, NULL, &dir), GM_OK);
    for (long n = 0;; n++) {
        gm_inputs *in = NULL;
        gm__alloc_fail_after(n);
        gm_status st = gm_inputs_load(ctx, cfg, dir, &in);
        gm__alloc_fail_after(-1);
        if (st == GM_OK) {
            gm_inputs_free(in);
            cr_assert_gt(n, 10);
            break;
        }
        cr_assert_eq(st, GM_E_NOMEM, "allocation %ld: %s (%s)", n, gm_status_name(st), gm_ctx_errmsg(ctx));
        cr_assert_null(in);
    }
    gm_pcdir_free(dir);
    gm_config_free(cfg);
}
