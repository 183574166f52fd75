"""The C source of the exact row walk of APS/RAPS sets (part of `csrc.SOURCE`, after its header).

APS/RAPS need each row's labels by decreasing probability, but only as far as a label can still enter a set:
the walk goes through the tie groups (equal probabilities) from the top, each step a branch-free pass over the K
probabilities (`mc_scan`) that decides the current group's labels and finds the next one, and stops once no later
label can pass the largest threshold: about K x (set size + 1) compares per row instead of a sort. With one
threshold for every class (marginal sets) the set is the top groups, so `mc_row_marginal` only finds where it ends;
with a threshold per class (`mc_row_labels`) each label is decided against its own, and a row that has walked
MC_SELECT_PASSES groups sorts its rest once. The same float64 sums in the same order as `scores.sets_numpy`
(decreasing probability, ties by class code), so the same sets bit for bit. Used row by row for K > MC_BLOCK_MAX,
and as `mc_row_exact` by the AVX-512 row kernel (`csrc_vector`) for the rare row it cannot decide exactly; the
64-row block walk of `csrc` follows the same steps across rows.
"""

WALK_SOURCE = r"""
#define MC_SELECT_PASSES 24   /* tie groups walked by scanning before the rest of the row is sorted once */
#define MC_ROUNDING 1e-9      /* a randomised score rounds within a few ulp (< 1e-15) of its lower bound */

typedef struct { double p; int64_t j; } mc_item;

static int mc_cmp(const void* a, const void* b) {  /* decreasing probability, ties by increasing class code */
    const mc_item* x = (const mc_item*)a;
    const mc_item* y = (const mc_item*)b;
    if (x->p > y->p) return -1;
    if (x->p < y->p) return 1;
    return (x->j > y->j) - (x->j < y->j);
}

static inline int64_t mc_pos(int64_t x) { return x > 0 ? x : 0; }

/* One branch-free pass: the largest probability below `prev` (-1 when none) and how many equal `prev`.
   Two accumulators halve the dependency chain of the max. */
static inline double mc_scan(const double* p, int64_t k, double prev, int64_t* equal) {
    double v0 = -1.0, v1 = -1.0;
    int64_t e0 = 0, e1 = 0, j = 0;
    for (; j + 2 <= k; j += 2) {
        double a = p[j], b = p[j + 1];
        double ca = a < prev ? a : -1.0, cb = b < prev ? b : -1.0;
        v0 = ca > v0 ? ca : v0;
        v1 = cb > v1 ? cb : v1;
        e0 += a == prev;
        e1 += b == prev;
    }
    if (j < k) {
        double ca = p[j] < prev ? p[j] : -1.0;
        v0 = ca > v0 ? ca : v0;
        e0 += p[j] == prev;
    }
    *equal = e0 + e1;
    return v0 > v1 ? v0 : v1;
}

/* Marginal sets (one threshold q for every class): the set is the top tie groups, so the walk only finds the
   probability `cut` of the last group in and writes p >= cut. Returns 0 when done, 1 when a randomised row
   came out not a prefix (a later group passing by rounding): the caller redoes it label by label. */
MC_INLINE int mc_row_marginal(const double* p, int64_t k, double q, int64_t mode, double lam, int64_t k_reg,
                           double ui, int64_t nonempty, uint8_t* o) {
    double prev = INFINITY, walked = 0.0, cut = INFINITY, top = -1.0;
    int64_t r = 0, failed = 0;
    for (;;) {
        int64_t members;
        double v = mc_scan(p, k, prev, &members);
        for (int64_t c = 0; c < members; c++) walked += prev;  /* one add per label, as numpy's cumsum */
        r += members;
        if (v < 0.0) break;
        if (r == 0) top = v;
        const int64_t rank = r + 1;
        int in;
        if (mode == 0) {
            if (r > 0 && walked + lam * (double)mc_pos(rank - 1 - k_reg) >= q) break;  /* exact: never decreases */
            in = 1;
        } else {
            double pen = lam * (double)mc_pos(rank - k_reg);
            if (walked + pen > q + MC_ROUNDING) break;
            in = ((walked + v) - ui * v) + pen <= q;
        }
        if (in && failed) return 1;
        if (in) cut = v; else failed = 1;
        prev = v;
    }
    if (cut == INFINITY && nonempty) {
        if (top < 0.0) { int64_t unused; top = mc_scan(p, k, INFINITY, &unused); }
        cut = top;
    }
    for (int64_t j = 0; j < k; j++) o[j] = p[j] >= cut;
    return 0;
}

/* Any thresholds (class-conditional sets): each label is decided against its own class's threshold. */
MC_INLINE void mc_row_labels(const double* p, int64_t k, const double* q, double qmax, int64_t mode, double lam,
                          int64_t k_reg, double ui, int64_t nonempty, mc_item* items, uint8_t* o) {
    double prev = INFINITY, walked = 0.0, top = -1.0;
    int64_t r = 0, count = 0, m = -1, next = 0, groups = 0;
    memset(o, 0, (size_t)k);
    while (r < k) {
        double v;
        if (groups == MC_SELECT_PASSES) {   /* many groups walked (large K, unsure model): sort the rest once */
            m = 0;
            for (int64_t j = 0; j < k; j++)
                if (p[j] < prev) { items[m].p = p[j]; items[m].j = j; m++; }
            qsort(items, (size_t)m, sizeof(mc_item), mc_cmp);
            next = 0;
        }
        if (m >= 0) {
            if (next >= m) break;
            v = items[next].p;
        } else {
            int64_t unused;
            v = mc_scan(p, k, prev, &unused);
            if (v < 0.0) break;
        }
        groups++;
        const int64_t rank = r + 1;
        double decide;                      /* mode 0: the entry score; mode 1: the group's score */
        if (mode == 0) {
            decide = r == 0 ? -INFINITY : walked + lam * (double)mc_pos(rank - 1 - k_reg);
            if (decide >= qmax) break;
        } else {
            double pen = lam * (double)mc_pos(rank - k_reg);
            if (walked + pen > qmax + MC_ROUNDING) break;
            decide = ((walked + v) - ui * v) + pen;
        }
        if (r == 0) top = v;
        if (m >= 0) {
            for (; next < m && items[next].p == v; next++) {
                int64_t j = items[next].j;
                uint8_t in = mode == 0 ? decide < q[j] : decide <= q[j];
                o[j] = in; count += in; walked += v; r++;
            }
        } else {
            int64_t members = 0;
            for (int64_t j = 0; j < k; j++) {
                uint8_t member = p[j] == v;
                uint8_t in = member & (uint8_t)(mode == 0 ? decide < q[j] : decide <= q[j]);
                o[j] |= in; count += in; members += member;
            }
            for (int64_t c = 0; c < members; c++) walked += v;
            r += members;
        }
        prev = v;
    }
    if (nonempty && count == 0) {
        if (top < 0.0) { int64_t unused; top = mc_scan(p, k, INFINITY, &unused); }
        for (int64_t j = 0; j < k; j++) o[j] = p[j] == top;
    }
}

/* One row by the exact walk (as the rows of K > MC_BLOCK_MAX): the vector kernel's fallback (csrc_vector). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void mc_row_exact(const double* p, int64_t k, const double* q, double qmin, double qmax, int64_t mode,
                         double lam, int64_t k_reg, double ui, int64_t nonempty, mc_item* items, uint8_t* o) {
    if (qmin != qmax || mc_row_marginal(p, k, qmax, mode, lam, k_reg, ui, nonempty, o))
        mc_row_labels(p, k, q, qmax, mode, lam, k_reg, ui, nonempty, items, o);
}
"""
