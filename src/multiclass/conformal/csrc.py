"""The C source of the prediction-set kernel: one call turns (N, K) probabilities into (N, K) set flags.

Kept as a Python string so it ships inside the wheel; `multiclass.native` compiles it once per machine
and `multiclass.conformal.kernel` calls it through ctypes. It computes exactly `scores.sets_numpy` (tested
bit for bit): the same float64 sums in the same order (decreasing probability, ties by class code).

APS/RAPS need each row's labels by decreasing probability, but only as far as a label can still enter a set:
the exact walk of `csrc_walk` goes through the tie groups from the top, about K x (set size + 1) compares per row
instead of a sort. Up to MC_BLOCK_MAX classes this module walks 64 rows at once across a transposed block, so the
vectors are full even for K = 10; beyond, row by row (`csrc_walk`). Up to 16 classes on a CPU with AVX-512,
neither: `csrc_vector` computes every label's mass above it (and for RAPS its count) in registers, a row at a
time, and redoes by the walk (`mc_row_exact`) the rare row with a score within rounding of its threshold. LAC is
one comparison per entry. Every entry is also checked to be in [0, 1] as it is read. The rows can be split over
threads. The source is this module's header, the walk, this module's kernels, the vector kernel and the entry.
"""

from multiclass.conformal.csrc_vector import VECTOR_SOURCE
from multiclass.conformal.csrc_walk import WALK_SOURCE

_HEADER = r"""
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GCC on x86-64 Linux also builds AVX-512 and AVX2 versions of the entry points and picks one when the library
   loads (ifunc), so the cached library stays portable; the row loops below are inlined into each version. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MC_CLONES
#endif
#if defined(__GNUC__)
#define MC_INLINE static inline __attribute__((always_inline))
#else
#define MC_INLINE static inline
#endif

#define MC_BLOCK_MAX 32       /* up to this many classes, rows are walked MC_BLOCK at a time */
#define MC_BLOCK 64           /* rows walked together (a multiple of every vector width) */

"""

_KERNELS = r"""
/* K <= MC_BLOCK_MAX: the same walk as mc_row_labels for MC_BLOCK rows at once. The block is transposed
   (t[c * MC_BLOCK + r] = p of row r, class c) and each step finds, for every row, its next tie group and
   decides its members; the loops run across the rows of the block (full vectors, a trip count the compiler
   knows, no branch: a finished row is masked), so a small K does not leave the vectors mostly empty. The block
   stops when its slowest row does. Same additions in the same order as the row walk and numpy. */
typedef struct {
    double next[MC_BLOCK], walked[MC_BLOCK], ranked[MC_BLOCK], active[MC_BLOCK], v[MC_BLOCK], decide[MC_BLOCK];
    double members[MC_BLOCK], any[MC_BLOCK];
} mc_block;

MC_INLINE void mc_block_walk(const double* t, int64_t b, int64_t k, const double* q, double qmax, int64_t mode,
                             double lam, double k_reg, const double* u, int64_t nonempty, mc_block* s,
                             uint8_t* ob) {
    for (int64_t r = 0; r < MC_BLOCK; r++) {
        s->v[r] = -1.0; s->walked[r] = 0.0; s->ranked[r] = 0.0; s->active[r] = r < b; s->any[r] = 0.0;
    }
    for (int64_t c = 0; c < k; c++)                    /* the top probability of each row */
        for (int64_t r = 0; r < MC_BLOCK; r++) s->v[r] = t[c * MC_BLOCK + r] > s->v[r] ? t[c * MC_BLOCK + r] : s->v[r];
    for (int64_t x = 0; x < k * MC_BLOCK; x++) ob[x] = 0;
    for (int64_t step = 0; step < k; step++) {
        int64_t alive = 0;                             /* integer counts: these reductions vectorise */
        for (int64_t r = 0; r < MC_BLOCK; r++) {       /* should the group at v be walked, and its score */
            const double v = s->v[r], walked = s->walked[r], ranked = s->ranked[r];
            double go = s->active[r] * (double)(v >= 0.0), decide;
            if (mode == 0) {
                const double extra = ranked - k_reg;   /* rank - 1 - k_reg */
                decide = ranked == 0.0 ? -INFINITY : walked + lam * (extra > 0.0 ? extra : 0.0);
                go *= (double)(decide < qmax);
            } else {
                const double extra = ranked + 1.0 - k_reg;  /* rank - k_reg */
                const double pen = lam * (extra > 0.0 ? extra : 0.0);
                go *= (double)(walked + pen <= qmax + MC_ROUNDING);
                decide = ((walked + v) - u[r] * v) + pen;
            }
            s->active[r] = go; s->decide[r] = decide; s->members[r] = 0.0; s->next[r] = -1.0;
            alive += go > 0.0;
        }
        if (!alive) break;
        for (int64_t c = 0; c < k; c++) {  /* decide the group's members, each by its threshold; find the next */
            const double* pc = t + c * MC_BLOCK;
            const double qc = q[c];
            uint8_t* oc = ob + c * MC_BLOCK;
            for (int64_t r = 0; r < MC_BLOCK; r++) {
                const double member = s->active[r] * (double)(pc[r] == s->v[r]);
                const double pass = mode == 0 ? (double)(s->decide[r] < qc) : (double)(s->decide[r] <= qc);
                oc[r] |= (uint8_t)(member * pass);
                s->any[r] += member * pass;
                s->members[r] += member;
                const double below = pc[r] < s->v[r] ? pc[r] : -1.0;
                s->next[r] = below > s->next[r] ? below : s->next[r];
            }
        }
        for (int64_t r = 0; r < MC_BLOCK; r++) {       /* arithmetic selects (exact: 0 or 1 times finite values) */
            s->walked[r] += (double)(s->members[r] > 0.0) * s->v[r];   /* one add per label, as numpy's cumsum */
            s->ranked[r] += s->members[r];
        }
        for (double extra = 1.0; ; extra += 1.0) {     /* ties: the further adds, for rows with that many */
            int64_t more = 0;
            for (int64_t r = 0; r < MC_BLOCK; r++) more += s->members[r] > extra;
            if (!more) break;
            for (int64_t r = 0; r < MC_BLOCK; r++) s->walked[r] += (double)(s->members[r] > extra) * s->v[r];
        }
        for (int64_t r = 0; r < MC_BLOCK; r++) s->v[r] = s->next[r];
    }
    if (!nonempty) return;
    for (int64_t r = 0; r < b; r++) {
        if (s->any[r] > 0.0) continue;
        double best = -1.0;
        for (int64_t c = 0; c < k; c++) best = t[c * MC_BLOCK + r] > best ? t[c * MC_BLOCK + r] : best;
        for (int64_t c = 0; c < k; c++) ob[c * MC_BLOCK + r] = t[c * MC_BLOCK + r] == best;
    }
}

/* APS/RAPS sets. mode 0: non-randomised (a label is in when the score of the label ranked just above it is
   below its threshold; the top group always is); mode 1: randomised, u[i] per row. */
#define MC_DEFINE_SETS(NAME, T)                                                                               \
static MC_CLONES int NAME(const T* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam,       \
                          int64_t k_reg, \
                   const double* u, int64_t nonempty, uint8_t* out, int64_t* bad) {                           \
    int64_t invalid = 0;                /* entries that are NaN or outside [0, 1] */                          \
    double qmin = INFINITY, qmax = -INFINITY;                                                                 \
    for (int64_t j = 0; j < k; j++) { qmax = q[j] > qmax ? q[j] : qmax; qmin = q[j] < qmin ? q[j] : qmin; }   \
    mc_item* items = (mc_item*)malloc((size_t)k * sizeof(mc_item));                                           \
    double* work = (double*)malloc((size_t)(k * MC_BLOCK + 2 * MC_BLOCK + k) * sizeof(double));               \
    uint8_t* ob = (uint8_t*)malloc((size_t)(k * MC_BLOCK));                                                   \
    mc_block* s = (mc_block*)malloc(sizeof(mc_block));                                                        \
    if (!items || !work || !ob || !s) { free(items); free(work); free(ob); free(s); return 1; }               \
    double *t = work, *ub = t + k * MC_BLOCK, *row = ub + MC_BLOCK;                                           \
    if (k <= MC_BLOCK_MAX) {                                                                                  \
        for (int64_t i0 = 0; i0 < n; i0 += MC_BLOCK) {                                                        \
            const int64_t b = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;                                          \
            for (int64_t r = 0; r < MC_BLOCK; r++) ub[r] = mode == 1 && r < b ? u[i0 + r] : 0.0;              \
            if (b < MC_BLOCK) for (int64_t x = 0; x < k * MC_BLOCK; x++) t[x] = 0.0;                          \
            for (int64_t c = 0; c < k; c++)     /* strided reads: gathers where the CPU has them */          \
                for (int64_t r = 0; r < b; r++) {                                                             \
                    const double x = (double)P[(i0 + r) * k + c];                                             \
                    t[c * MC_BLOCK + r] = x; invalid += !(x >= 0.0 && x <= 1.0);                              \
                }                                                                                             \
            if (invalid) break;                                                                               \
            mc_block_walk(t, b, k, q, qmax, mode, lam, (double)k_reg, ub, nonempty, s, ob);                   \
            for (int64_t r = 0; r < b; r++)                                                                   \
                for (int64_t c = 0; c < k; c++) out[(i0 + r) * k + c] = ob[c * MC_BLOCK + r];                 \
        }                                                                                                     \
    } else {                                                                                                  \
        for (int64_t i = 0; i < n; i++) {                                                                     \
            const double* p;                                                                                  \
            if (sizeof(T) == sizeof(double)) p = (const double*)(P + i * k);                                  \
            else { for (int64_t j = 0; j < k; j++) row[j] = (double)P[i * k + j]; p = row; }                  \
            for (int64_t j = 0; j < k; j++) invalid += !(p[j] >= 0.0 && p[j] <= 1.0);                         \
            if (invalid) break;                                                                               \
            const double ui = mode == 1 ? u[i] : 0.0;                                                         \
            uint8_t* o = out + i * k;                                                                         \
            if (qmin != qmax || mc_row_marginal(p, k, qmax, mode, lam, k_reg, ui, nonempty, o))               \
                mc_row_labels(p, k, q, qmax, mode, lam, k_reg, ui, nonempty, items, o);                      \
        }                                                                                                     \
    }                                                                                                         \
    free(items); free(work); free(ob); free(s);                                                               \
    *bad = invalid;                                                                                           \
    return 0;                                                                                                 \
}

MC_DEFINE_SETS(mc_aps_range_f64, double)
MC_DEFINE_SETS(mc_aps_range_f32, float)

/* LAC: label j is in when 1 - p_j <= q_j. The rows of a block are one flat loop against the thresholds tiled
   over the block (qq), so the compiler vectorises it whatever K is. */
#define MC_DEFINE_LAC(NAME, T)                                                                                \
static MC_CLONES int NAME(const T* P, int64_t n, int64_t k, const double* q, int64_t nonempty,              \
                          uint8_t* out, int64_t* bad) {                                                   \
    int64_t invalid = 0;                                                                                      \
    double* qq = (double*)malloc((size_t)(k * MC_BLOCK) * sizeof(double));                                    \
    if (!qq) return 1;                                                                                        \
    for (int64_t x = 0; x < k * MC_BLOCK; x++) qq[x] = q[x % k];                                              \
    for (int64_t i0 = 0; i0 < n; i0 += MC_BLOCK) {                                                            \
        const int64_t b = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;                                              \
        const T* p = P + i0 * k;                                                                              \
        uint8_t* o = out + i0 * k;                                                                            \
        for (int64_t x = 0; x < b * k; x++) {                                                                 \
            const double v = (double)p[x];                                                                    \
            o[x] = (1.0 - v) <= qq[x]; invalid += !(v >= 0.0 && v <= 1.0);                                    \
        }                                                                                                     \
        if (invalid) break;                                                                                   \
        if (!nonempty) continue;                                                                              \
        for (int64_t r = 0; r < b; r++) {                                                                     \
            uint8_t any = 0;                                                                                  \
            for (int64_t j = 0; j < k; j++) any |= o[r * k + j];                                              \
            if (any) continue;                                                                                \
            double top = -1.0;                                                                                \
            for (int64_t j = 0; j < k; j++) top = (double)p[r * k + j] > top ? (double)p[r * k + j] : top;    \
            for (int64_t j = 0; j < k; j++) o[r * k + j] = (double)p[r * k + j] == top;                       \
        }                                                                                                     \
    }                                                                                                         \
    free(qq);                                                                                                 \
    *bad = invalid;                                                                                           \
    return 0;                                                                                                 \
}

MC_DEFINE_LAC(mc_lac_range_f64, double)
MC_DEFINE_LAC(mc_lac_range_f32, float)

"""

_ENTRY = r"""
/* The entry point: rows split into `threads` contiguous ranges (whole blocks), one thread each (the caller runs
   the last). kind: 0 LAC float64, 1 LAC float32, 2 APS/RAPS float64, 3 APS/RAPS float32; `vector`: APS/RAPS
   of K <= MC_VECTOR_MAX take the AVX-512 row kernel where mc_vector_available() (csrc_vector). Returns 0, or 1 when
   a work buffer could not be allocated; *bad > 0 when an entry was NaN or outside [0, 1] (the sets are then
   unfinished: the caller raises). Checking while reading saves numpy's separate passes over the input. */
typedef struct {
    int64_t kind; const void* P; int64_t n, k; const double* q; int64_t mode; double lam; int64_t k_reg;
    const double* u; int64_t nonempty; uint8_t* out; int64_t vector; int code; int64_t bad;
} mc_job;

static void* mc_run(void* arg) {
    mc_job* j = (mc_job*)arg;
    if (j->vector && j->kind >= 2) {
        j->bad = j->kind == 2 ? mc_vrows_f64((const double*)j->P, j->n, j->k, j->q, j->mode, j->lam, j->k_reg, j->u,
                                             j->nonempty, j->out)
                              : mc_vrows_f32((const float*)j->P, j->n, j->k, j->q, j->mode, j->lam, j->k_reg, j->u,
                                             j->nonempty, j->out);
        j->code = 0;
        return NULL;
    }
    switch (j->kind) {
        case 0: j->code = mc_lac_range_f64((const double*)j->P, j->n, j->k, j->q, j->nonempty, j->out, &j->bad); break;
        case 1: j->code = mc_lac_range_f32((const float*)j->P, j->n, j->k, j->q, j->nonempty, j->out, &j->bad); break;
        case 2: j->code = mc_aps_range_f64((const double*)j->P, j->n, j->k, j->q, j->mode, j->lam, j->k_reg, j->u,
                                           j->nonempty, j->out, &j->bad); break;
        default: j->code = mc_aps_range_f32((const float*)j->P, j->n, j->k, j->q, j->mode, j->lam, j->k_reg, j->u,
                                            j->nonempty, j->out, &j->bad); break;
    }
    return NULL;
}

int mc_sets(int64_t kind, const void* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam,
            int64_t k_reg, const double* u, int64_t nonempty, uint8_t* out, int64_t threads, int64_t vector,
            int64_t* bad) {
    if (threads < 1) threads = 1;
    vector = vector && kind >= 2 && k <= MC_VECTOR_MAX && mc_vector_available();
    if (threads > 64) threads = 64;
    int64_t per = (n + threads - 1) / threads;
    per = (per + MC_BLOCK - 1) / MC_BLOCK * MC_BLOCK;
    const size_t width = kind % 2 == 0 ? sizeof(double) : sizeof(float);
    mc_job jobs[64];
    pthread_t ids[64];
    int started[64];
    int64_t m = 0;
    for (int64_t start = 0; start < n || m == 0; start += per) {
        int64_t rows = n - start < per ? n - start : per;
        mc_job job = {kind, (const char*)P + (size_t)(start * k) * width, rows, k, q, mode, lam, k_reg,
                      u ? u + start : NULL, nonempty, out + start * k, vector, 0, 0};
        jobs[m++] = job;
        if (per == 0) break;
    }
    for (int64_t t = 0; t + 1 < m; t++) started[t] = pthread_create(&ids[t], NULL, mc_run, &jobs[t]) == 0;
    mc_run(&jobs[m - 1]);
    int code = jobs[m - 1].code;
    *bad = jobs[m - 1].bad;
    for (int64_t t = 0; t + 1 < m; t++) {
        if (started[t]) pthread_join(ids[t], NULL);
        else mc_run(&jobs[t]);              /* no thread to be had: run it here */
        code = jobs[t].code > code ? jobs[t].code : code;
        *bad += jobs[t].bad;
    }
    return code;
}
"""

SOURCE = _HEADER + WALK_SOURCE + _KERNELS + VECTOR_SOURCE + _ENTRY
