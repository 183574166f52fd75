"""The C source of the AVX-512 row kernel for APS/RAPS sets of up to 16 classes (appended to `csrc.SOURCE`).

One row sits in two 8-lane float64 registers (classes 0-7 and 8-15) and is never transposed nor sorted. For every
label i at once, K broadcast-compare-masked-add steps give the mass of the labels with a strictly larger
probability (``above_i = sum_j p_j [p_j > p_i]``); tied labels share it, as in `scores.rank_mass`. RAPS also needs
their count, and gets it from the same adds: it adds p_j + 16 instead of p_j, so the sum is above_i + 16 count_i
(above_i <= K - 1 <= 15 < 16), and one add rounding down to 2^56 (ulp 16) leaves count_i in the low bits, which
index a table of the penalty (one permute). Each label's score is then compared with its class's threshold: about
4K vector operations per row whatever the set sizes or the score, no branch but the rare exact fallback below.

Exactness. The reference (`scores.sets_numpy`, the row walk of `csrc_walk`) adds the masses by decreasing
probability; here they are added by class code (RAPS: with 16 per label, then the table's penalty - 16 count), so
the two scores may differ in the last bits. Every value summed or added lies in [0, 16 K] (plus the penalty), and a
score takes at most 2K + 4 roundings of 2^-53 times such a value: they differ by less than 2e-12 + 1e-15 |penalty|
for K <= 16. A label whose score lies within ``1e-11 + 1e-14 |q|`` of its threshold q (a finite one; a comparison
with an infinite threshold is exact) may therefore be decided differently, so its row is recomputed by the exact
walk (`mc_row_exact`), and every other decision is the reference's: the sets are the same bit for bit, and the
fallback is rare (a score within 1e-11 of a threshold) except for rows built to tie with it.

The functions carry ``target("avx512f,avx512bw,avx512vl")``: the library is still built for any x86-64 CPU, and
`mc_vector_available` asks the CPU (and the OS, for the register state) before `mc_sets` takes this path.
"""

VECTOR_SOURCE = r"""
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MC_V512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define MC_V512_INLINE static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl")))
#define MC_VECTOR_MAX 16        /* classes the two registers hold */
#define MC_NEAR_ABS 1e-11       /* a score this close to its threshold (plus MC_NEAR_REL |q|) is redone exactly */
#define MC_NEAR_REL 1e-14
#define MC_RANK_UNIT 16.0       /* > the largest mass above a label (K - 1 <= 15) plus its rounding; a power of 2 */

int mc_vector_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
}

/* One label's step: pj's `add` goes to the sum of every label of x that pj is larger than: pj itself (APS), or
   pj + MC_RANK_UNIT (RAPS), whose sum carries the count of those labels as its multiple of MC_RANK_UNIT. */
MC_V512_INLINE void mc_vstep(__m512d pj, __m512d add, __m512d x, __m512d* sum) {
    *sum = _mm512_mask_add_pd(*sum, _mm512_cmp_pd_mask(pj, x, _CMP_GT_OQ), *sum, add);
}

/* The scores of one half (8 classes) of a row and their `in` and `close` masks, from `sum` (see mc_vstep).
   APS: above = sum; `blend`: mode 0 with a threshold at most 0 (within the margin), where the top labels' score
   must be -inf rather than their mass above, 0. RAPS: sum = above + MC_RANK_UNIT * count, and the penalty minus
   MC_RANK_UNIT * count is a table of the count (glo: counts 0-7, ghi: 8-15), read by one permute: added to 2^56
   (whose ulp is MC_RANK_UNIT) rounding down, the sum becomes 2^56 + MC_RANK_UNIT * count, whose low bits are the
   count (the sum is at least MC_RANK_UNIT * count and below MC_RANK_UNIT * (count + 1): every addend is). */
MC_V512_INLINE void mc_vdecide(__m512d p, __m512d sum, __m512d qlo, __m512d qhi, int64_t mode, __m512d ui,
                               const int ranks, int blend, __m512d glo, __m512d ghi, __mmask8 valid,
                               __mmask8* in, __mmask8* close) {
    __m512d d = sum;
    if (mode == 1)                    /* ((above + p) - u p) + lam * max(rank - k_reg, 0) */
        d = _mm512_sub_pd(_mm512_add_pd(d, p), _mm512_mul_pd(ui, p));
    if (ranks) {                      /* mode 0: above + lam * max(rank - 1 - k_reg, 0); -inf for the top labels */
        const __m512d big = _mm512_set1_pd(72057594037927936.0);   /* 2^56 */
        const __m512i count = _mm512_castpd_si512(
            _mm512_add_round_pd(sum, big, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
        d = _mm512_add_pd(d, _mm512_permutex2var_pd(glo, count, ghi));
    } else if (mode == 0 && blend) {  /* top: no larger label (above is exactly 0 only then: the p_j > 0) */
        d = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(sum, _mm512_setzero_pd(), _CMP_EQ_OQ), d,
                                 _mm512_set1_pd(-INFINITY));
    }
    /* in for sure below q - margin; possibly in below q + margin (mode 1: at or below); close: in between */
    const __mmask8 sure = mode == 0 ? _mm512_mask_cmp_pd_mask(valid, d, qlo, _CMP_LT_OQ)
                                    : _mm512_mask_cmp_pd_mask(valid, d, qlo, _CMP_LE_OQ);
    const __mmask8 maybe = mode == 0 ? _mm512_mask_cmp_pd_mask(valid, d, qhi, _CMP_LT_OQ)
                                     : _mm512_mask_cmp_pd_mask(valid, d, qhi, _CMP_LE_OQ);
    *in = sure;
    *close = maybe & ~sure;
}

/* Whether rows [0, n) hold only values in [0, 1] (-0.0 included), read again: the fast check below only flags. */
#define MC_DEFINE_VALID(NAME, T)                                                                              \
static int NAME(const T* P, int64_t n, int64_t k) {                                                           \
    for (int64_t x = 0; x < n * k; x++) if (!(P[x] >= 0 && P[x] <= 1)) return 0;                               \
    return 1;                                                                                                 \
}
MC_DEFINE_VALID(mc_valid_f64, double)
MC_DEFINE_VALID(mc_valid_f32, float)

/* Rows [0, n) of K <= 16 classes; `two`: K > 8 (a second register); `ranks`: RAPS needs the counts. Returns 0,
   or 1 when a chunk held a NaN or a value outside [0, 1] (the sets are then unfinished). The values are checked
   a chunk at a time by their bits: a double in [+0, 1] is at most 1.0's bits as an unsigned integer, and
   anything else (negative, NaN, > 1) above them, so one max per register and row flags a chunk. */
#define MC_VCHUNK 256
#define MC_DEFINE_VROWS(NAME, T, LOAD, VALID)                                                                 \
MC_V512_INLINE int64_t NAME##_body(const T* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam, \
                                   int64_t k_reg, const double* u, int64_t nonempty, uint8_t* out,           \
                                   const int two, const int ranks, mc_item* items) {                         \
    const __mmask8 ma = k >= 8 ? 0xFF : (__mmask8)((1u << k) - 1);                                          \
    const __mmask8 mb = k > 8 ? (__mmask8)((1u << (k - 8)) - 1) : 0;                                         \
    const __mmask16 mrow = (__mmask16)((1u << k) - 1);                                                        \
    double lo[MC_VECTOR_MAX] = {0}, hi[MC_VECTOR_MAX] = {0}, qmin = INFINITY, qmax = -INFINITY;              \
    int blend = 0;                                                                                            \
    for (int64_t j = 0; j < k; j++) {                                                                         \
        const double near = isfinite(q[j]) ? MC_NEAR_ABS + MC_NEAR_REL * fabs(q[j]) : 0.0;                  \
        lo[j] = q[j] - near; hi[j] = q[j] + near;   /* an infinite threshold: no margin (exact compares) */   \
        blend |= !(q[j] > near);         /* a score of 0 may not be decided as -inf would be */              \
        qmax = q[j] > qmax ? q[j] : qmax; qmin = q[j] < qmin ? q[j] : qmin;                                  \
    }                                                                                                         \
    blend &= mode == 0;                                                                                       \
    const __m512d lo_a = _mm512_loadu_pd(lo), lo_b = _mm512_loadu_pd(lo + 8);                                \
    const __m512d hi_a = _mm512_loadu_pd(hi), hi_b = _mm512_loadu_pd(hi + 8);                                \
    const __m512d zero = _mm512_setzero_pd();                                                                 \
    double gbuf[MC_VECTOR_MAX];          /* RAPS: penalty - MC_RANK_UNIT * count, by count (mc_vdecide) */    \
    for (int64_t c = 0; c < MC_VECTOR_MAX; c++)                                                               \
        gbuf[c] = mode == 0 && c == 0 ? -INFINITY                                                             \
                : lam * (double)mc_pos(c + mode - k_reg) - MC_RANK_UNIT * (double)c;                          \
    const __m512d glo = _mm512_loadu_pd(gbuf), ghi = _mm512_loadu_pd(gbuf + 8);                              \
    const __m512i one_bits = _mm512_set1_epi64(0x3FF0000000000000LL);                                         \
    const __m512d unit = _mm512_set1_pd(MC_RANK_UNIT);                                                        \
    double row[MC_VECTOR_MAX] __attribute__((aligned(64))), shifted[MC_VECTOR_MAX] __attribute__((aligned(64))); \
    for (int64_t i0 = 0; i0 < n; i0 += MC_VCHUNK) {                                                           \
      const int64_t i1 = n - i0 < MC_VCHUNK ? n : i0 + MC_VCHUNK;                                             \
      __m512i bits = _mm512_setzero_si512();                                                                  \
      for (int64_t i = i0; i < i1; i++) {                                                                     \
        const T* p = P + i * k;                                                                               \
        const __m512d a = LOAD(ma, p), b = two ? LOAD(mb, p + 8) : zero;                                      \
        bits = _mm512_max_epu64(bits, _mm512_castpd_si512(a));                                                \
        if (two) bits = _mm512_max_epu64(bits, _mm512_castpd_si512(b));                                       \
        const double* src = (const double*)p;   /* the row as float64, for the broadcasts and the fallback */  \
        if (sizeof(T) != sizeof(double)) {                                                                    \
            _mm512_store_pd(row, a);                                                                          \
            if (two) _mm512_store_pd(row + 8, b);                                                             \
            src = row;                                                                                        \
        }                                                                                                     \
        /* label j's mass (RAPS: + MC_RANK_UNIT, from `added`) goes to every label it is larger than; two chains \
           of adds (any order is within the bound of the module docstring), so consecutive adds do not wait */ \
        const double* added = src;                                                                            \
        if (ranks) {                                                                                          \
            _mm512_store_pd(shifted, _mm512_add_pd(a, unit));                                                 \
            if (two) _mm512_store_pd(shifted + 8, _mm512_add_pd(b, unit));                                    \
            __asm__ volatile("" : : "r"(shifted) : "memory");  /* broadcast from memory, not from lanes */   \
            added = shifted;                                                                                  \
        }                                                                                                     \
        __m512d sum_a = zero, sum_b = zero, sum_a2 = zero, sum_b2 = zero;                                     \
        int64_t j = 0;                                                                                        \
        for (; j + 2 <= k; j += 2) {                                                                          \
            const __m512d pj = _mm512_set1_pd(src[j]), pk = _mm512_set1_pd(src[j + 1]);                      \
            const __m512d aj = _mm512_set1_pd(added[j]), ak = _mm512_set1_pd(added[j + 1]);                  \
            mc_vstep(pj, aj, a, &sum_a); mc_vstep(pk, ak, a, &sum_a2);                                        \
            if (two) { mc_vstep(pj, aj, b, &sum_b); mc_vstep(pk, ak, b, &sum_b2); }                           \
        }                                                                                                     \
        if (j < k) {                                                                                          \
            const __m512d pj = _mm512_set1_pd(src[j]), aj = _mm512_set1_pd(added[j]);                        \
            mc_vstep(pj, aj, a, &sum_a);                                                                      \
            if (two) mc_vstep(pj, aj, b, &sum_b);                                                             \
        }                                                                                                     \
        sum_a = _mm512_add_pd(sum_a, sum_a2); sum_b = _mm512_add_pd(sum_b, sum_b2);                           \
        const __m512d ui = _mm512_set1_pd(mode == 1 ? u[i] : 0.0);                                            \
        __mmask8 in_a, close_a, in_b = 0, close_b = 0;                                                        \
        mc_vdecide(a, sum_a, lo_a, hi_a, mode, ui, ranks, blend, glo, ghi, ma, &in_a, &close_a);              \
        if (two) mc_vdecide(b, sum_b, lo_b, hi_b, mode, ui, ranks, blend, glo, ghi, mb, &in_b, &close_b);     \
        uint8_t* o = out + i * k;                                                                             \
        if (close_a | close_b) {              /* a score within rounding of its threshold: the exact walk */  \
            mc_row_exact(src, k, q, qmin, qmax, mode, lam, k_reg, mode == 1 ? u[i] : 0.0, nonempty, items, o); \
            continue;                                                                                         \
        }                                                                                                     \
        __mmask16 in = (__mmask16)(in_a | ((unsigned)in_b << 8));                                             \
        if (nonempty && !in)                  /* the top labels: nothing above them */                        \
            in = (__mmask16)(_mm512_mask_cmp_pd_mask(ma, sum_a, zero, _CMP_EQ_OQ)                             \
                             | ((unsigned)_mm512_mask_cmp_pd_mask(mb, sum_b, zero, _CMP_EQ_OQ) << 8));        \
        _mm_mask_storeu_epi8(o, mrow, _mm_maskz_set1_epi8(in, 1));                                            \
      }                                                                                                       \
      if (_mm512_cmpgt_epu64_mask(bits, one_bits) && !VALID(P + i0 * k, i1 - i0, k)) return 1;               \
    }                                                                                                         \
    return 0;                                                                                                 \
}                                                                                                             \
static MC_V512 int64_t NAME(const T* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam,       \
                            int64_t k_reg, const double* u, int64_t nonempty, uint8_t* out) {                 \
    mc_item items[MC_VECTOR_MAX];                                                                             \
    const int ranks = lam != 0.0;                                                                             \
    if (k > 8)                                                                                                \
        return ranks ? NAME##_body(P, n, k, q, mode, lam, k_reg, u, nonempty, out, 1, 1, items)               \
                     : NAME##_body(P, n, k, q, mode, lam, k_reg, u, nonempty, out, 1, 0, items);              \
    return ranks ? NAME##_body(P, n, k, q, mode, lam, k_reg, u, nonempty, out, 0, 1, items)                   \
                 : NAME##_body(P, n, k, q, mode, lam, k_reg, u, nonempty, out, 0, 0, items);                  \
}

#define MC_LOAD_F64(m, p) _mm512_maskz_loadu_pd((m), (p))
#define MC_LOAD_F32(m, p) _mm512_cvtps_pd(_mm256_maskz_loadu_ps((m), (p)))
MC_DEFINE_VROWS(mc_vrows_f64, double, MC_LOAD_F64, mc_valid_f64)
MC_DEFINE_VROWS(mc_vrows_f32, float, MC_LOAD_F32, mc_valid_f32)

#else   /* not x86-64 GCC/clang: no vector path, mc_sets keeps the portable one */
#define MC_VECTOR_MAX 0
int mc_vector_available(void) { return 0; }
static int64_t mc_vrows_f64(const double* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam,
                            int64_t k_reg, const double* u, int64_t nonempty, uint8_t* out) { return -1; }
static int64_t mc_vrows_f32(const float* P, int64_t n, int64_t k, const double* q, int64_t mode, double lam,
                            int64_t k_reg, const double* u, int64_t nonempty, uint8_t* out) { return -1; }
#endif
"""
