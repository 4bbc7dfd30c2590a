/*
 * Journeys against the independent-travel goals (see journeys.h and
 * docs/journeys.md).  Everything is read off the travel matrices; a journey's
 * flags depend on that customer's row alone, so the order of work does not
 * matter.
 */
#include "journeys.h"

#include "coverage.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const gm__journey_flag_codes[GM__JF_COUNT] = {
    "over_goal", "long_by_car", "travel_training_candidate", "out_of_area", "nearer_site_with_room", "no_route",
};

void gm__journey_flags_text(unsigned flags, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < GM__JF_COUNT; k++)
        if ((flags & (1u << k)) && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ";" : "", gm__journey_flag_codes[k]);
}

/* The independent modes that apply to c: walk_slow instead of walk for people
 * with reduced mobility (their pace, not the default one), and cycle. */
static unsigned independent_modes(const gm__journeys_in *in, const gm_customer *c)
{
    unsigned m = in->cfg->journeys.independent;
    if (c->mobility == GM_MOBILITY_REDUCED && (m & GM__TM_WALK_SLOW) && in->time_s[2])
        m &= ~(unsigned)GM__TM_WALK;
    else if ((m & GM__TM_WALK) && in->time_s[1])
        m &= ~(unsigned)GM__TM_WALK_SLOW;
    return m;
}

static void check(const gm__journeys_in *in, const int32_t *free_places, size_t ci, gm__journey *j)
{
    const gm_customer *c = &in->cs[ci];
    const gm_config *cfg = in->cfg;
    size_t s = (size_t)c->current_site, ns = in->ns;
    unsigned computed = 0;
    for (int m = 0; m < GM__TM_COUNT; m++)
        if (in->time_s[m])
            computed |= 1u << m;
    memset(j, 0, sizeof *j);
    j->cust = (uint32_t)ci;
    j->site = (uint32_t)s;
    j->mode = gm__person_mode(c, computed);
    if (j->mode < 0 && computed)
        for (int m = 0; m < GM__TM_COUNT && j->mode < 0; m++)
            if (computed & (1u << m))
                j->mode = m;
    for (int m = 0; m < GM__TM_COUNT; m++) {
        j->time_s[m] = in->time_s[m] ? in->time_s[m][ci * ns + s] : NAN;
        j->dist_m[m] = in->dist_m[m] ? in->dist_m[m][ci * ns + s] : NAN;
        j->goal_min[m] = (float)gm__goal_min(cfg, c, m);
    }
    /* Independent travel: over the goal by every independent mode there is. */
    unsigned ind = independent_modes(in, c) & computed;
    bool any_ind = false, meets = false;
    for (int m = 1; m < GM__TM_COUNT; m++)
        if (ind & (1u << m)) {
            any_ind = true;
            meets |= j->time_s[m] <= j->goal_min[m] * 60;
        }
    if (any_ind && !meets)
        j->flags |= GM__JF_OVER_GOAL;
    if (in->time_s[0] && !(j->time_s[0] <= j->goal_min[0] * 60))
        j->flags |= GM__JF_LONG_CAR;
    if (c->transport == GM_TRANSPORT_SPECIALIST && meets)
        j->flags |= GM__JF_TRAINING;
    if (in->in_area && !in->in_area[s])
        j->flags |= GM__JF_OUT_OF_AREA;
    if (j->mode < 0)
        return;
    float t = j->time_s[j->mode];
    double cut = cfg->travel.cutoff_min * 60;
    if (!isfinite(t))
        j->flags |= GM__JF_UNREACHABLE;
    j->excess_min = fmax(0, ((isfinite(t) ? t : cut) - j->goal_min[j->mode] * 60) / 60);
    /* Suitable sites with room that are quicker by the person's mode, fastest first. */
    const float *row = &in->time_s[j->mode][ci * ns];
    float limit = isfinite(t) ? t : INFINITY;
    for (size_t k = 0; k < ns; k++) {
        if (k == s || free_places[k] <= 0 || !(row[k] < limit) || !gm__site_suits(&in->ss[k], c))
            continue;
        if (row[k] <= limit - cfg->journeys.far_extra_min * 60)
            j->flags |= GM__JF_NEARER_ROOM;
        /* Insert into the short list (ties to the lower site index, which comes first). */
        int pos = j->nalt;
        while (pos > 0 && row[k] < j->alt_s[pos - 1])
            pos--;
        if (pos >= GM__JOURNEY_ALTS)
            continue;
        int last = j->nalt < GM__JOURNEY_ALTS ? j->nalt : GM__JOURNEY_ALTS - 1;
        for (int q = last; q > pos; q--) {
            j->alt[q] = j->alt[q - 1];
            j->alt_s[q] = j->alt_s[q - 1];
        }
        j->alt[pos] = (uint32_t)k;
        j->alt_s[pos] = row[k];
        if (j->nalt < GM__JOURNEY_ALTS)
            j->nalt++;
    }
}

gm_status gm__journeys_run(gm_ctx *ctx, const gm__journeys_in *in, gm__journeys **out)
{
    gm__journeys *js = gm__calloc(1, sizeof *js);
    int32_t *fp = gm__malloc((in->ns ? in->ns : 1) * sizeof *fp);
    size_t n = 0;
    for (size_t i = 0; i < in->nc; i++)
        n += in->cs[i].current_site >= 0;
    if (js)
        js->j = gm__calloc(n ? n : 1, sizeof *js->j);
    if (!js || !fp || !js->j) {
        gm__journeys_free(js);
        gm__free(fp);
        return gm__err(ctx, GM_E_NOMEM, "out of memory checking %zu journeys", n);
    }
    gm__free_places(in->ss, in->ns, in->cs, in->nc, fp);
    for (size_t i = 0; i < in->nc; i++) {
        if (in->cs[i].current_site < 0)
            continue;
        gm__journey *j = &js->j[js->n++];
        check(in, fp, i, j);
        for (int k = 0; k < GM__JF_COUNT; k++)
            js->flagged[k] += (j->flags >> k) & 1u;
        js->any_flag += j->flags != 0;
    }
    gm__free(fp);
    *out = js;
    return GM_OK;
}

void gm__journeys_free(gm__journeys *js)
{
    if (!js)
        return;
    gm__free(js->j);
    gm__free(js);
}

gm_status gm__journeys_summary(gm_ctx *ctx, const gm__journeys_in *in, const gm__journeys *js, cJSON *summary)
{
    cJSON *o = cJSON_AddObjectToObject(summary, "journeys");
    cJSON *f = o ? cJSON_AddObjectToObject(o, "flagged") : NULL;
    cJSON *g = o ? cJSON_AddObjectToObject(o, "goals_minutes") : NULL;
    if (!f || !g)
        return gm__err(ctx, GM_E_NOMEM, "out of memory writing summary.json");
    int64_t v;
    if (gm__shareable(in->cfg, (uint32_t)js->n, &v))
        cJSON_AddNumberToObject(o, "placements_checked", (double)v);
    else
        cJSON_AddNullToObject(o, "placements_checked");
    if (gm__shareable(in->cfg, (uint32_t)js->any_flag, &v))
        cJSON_AddNumberToObject(o, "with_any_flag", (double)v);
    else
        cJSON_AddNullToObject(o, "with_any_flag");
    for (int k = 0; k < GM__JF_COUNT; k++) {
        if (gm__shareable(in->cfg, (uint32_t)js->flagged[k], &v))
            cJSON_AddNumberToObject(f, gm__journey_flag_codes[k], (double)v);
        else
            cJSON_AddNullToObject(f, gm__journey_flag_codes[k]);
    }
    for (int m = 0; m < GM__TM_COUNT; m++)
        if (in->time_s[m])
            cJSON_AddNumberToObject(g, gm__travel_mode_names[m], in->cfg->journeys.goal_min[m]);
    return GM_OK;
}
