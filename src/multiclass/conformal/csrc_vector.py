"""The C source of the AVX-512 row kernel for APS/RAPS sets of up to 16 classes (appended to `csrc.SOURCE`).

One row sits in two 8-lane float64 registers (classes 0-7 and 8-15) and is never transposed nor sorted. For every
label i at once, K broadcast-compare-masked-add steps give the mass of the labels with a strictly larger
probability (``above_i = sum_j p_j [p_j > p_i]``) and, for RAPS, their count; tied labels share both, as in
`scores.rank_mass`. Each label's score is then compared with its class's threshold: about 4K vector operations per
row whatever the set sizes, no branch but the rare exact fallback below.

Exactness. The reference (`scores.sets_numpy`, the row walk of `csrc`) adds the masses by decreasing probability;
here they are added by class code, so the two sums may differ in the last bits. Both sum the same m < K values in
[0, 1], so each is within (m - 1) u S of the real sum S <= K (u = 2^-53), and they differ by at most
2 K^2 u <= 6e-14 for K <= 16; the score's few further operations add a few ulp of its magnitude. A label whose
score lies within ``1e-11 + 1e-14 |q|`` of its threshold q (a finite one; a comparison with an infinite threshold
is exact) may therefore be decided differently, so its row is recomputed by the exact walk (`mc_row_exact`), and
every other decision is the reference's: the sets are the same bit for bit, and the fallback is rare (a score
within 1e-11 of a threshold) except for rows built to tie with it.

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

int mc_vector_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl");
}

/* One label's step: its probability pj goes to the mass above (and the count) of the labels of x below it. */
MC_V512_INLINE void mc_vstep(__m512d pj, __m512d x, __m512d* above, __m512d* count, const int ranks) {
    const __mmask8 below = _mm512_cmp_pd_mask(pj, x, _CMP_GT_OQ);
    *above = _mm512_mask_add_pd(*above, below, *above, pj);
    if (ranks) *count = _mm512_mask_add_pd(*count, below, *count, _mm512_set1_pd(1.0));
}

/* The scores of one half (8 classes) of a row and their `in` and `close` masks. `blend`: mode 0 with a threshold
   at most 0 (within the margin), where the top labels' score must be -inf rather than their mass above, 0. */
MC_V512_INLINE void mc_vdecide(__m512d p, __m512d above, __m512d count, __m512d q, __m512d near, int64_t mode,
                               __m512d lam, __m512d k_reg, __m512d ui, const int ranks, int blend, __mmask8 valid,
                               __mmask8* in, __mmask8* close) {
    const __m512d zero = _mm512_setzero_pd();
    __m512d d;
    if (mode == 0) {                  /* above + lam * max(rank - 1 - k_reg, 0); -inf for the top labels */
        d = above;
        if (ranks) d = _mm512_add_pd(d, _mm512_mul_pd(lam, _mm512_max_pd(_mm512_sub_pd(count, k_reg), zero)));
        if (blend)                    /* top: no larger label (above is exactly 0 only then: the p_j > 0) */
            d = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(above, zero, _CMP_EQ_OQ), d, _mm512_set1_pd(-INFINITY));
        *in = _mm512_mask_cmp_pd_mask(valid, d, q, _CMP_LT_OQ);
    } else {                          /* ((above + p) - u p) + lam * max(rank - k_reg, 0) */
        d = _mm512_sub_pd(_mm512_add_pd(above, p), _mm512_mul_pd(ui, p));
        if (ranks) {
            const __m512d rank = _mm512_add_pd(count, _mm512_set1_pd(1.0));
            d = _mm512_add_pd(d, _mm512_mul_pd(lam, _mm512_max_pd(_mm512_sub_pd(rank, k_reg), zero)));
        }
        *in = _mm512_mask_cmp_pd_mask(valid, d, q, _CMP_LE_OQ);
    }
    *close = _mm512_mask_cmp_pd_mask(valid, _mm512_abs_pd(_mm512_sub_pd(d, q)), near, _CMP_LE_OQ);
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
    double qbuf[MC_VECTOR_MAX] = {0}, nbuf[MC_VECTOR_MAX] = {0}, qmin = INFINITY, qmax = -INFINITY;          \
    int blend = 0;                                                                                            \
    for (int64_t j = 0; j < k; j++) {                                                                         \
        qbuf[j] = q[j];                                                                                       \
        nbuf[j] = isfinite(q[j]) ? MC_NEAR_ABS + MC_NEAR_REL * fabs(q[j]) : 0.0;                              \
        blend |= !(q[j] > nbuf[j]);      /* a score of 0 may not be decided as -inf would be */              \
        qmax = q[j] > qmax ? q[j] : qmax; qmin = q[j] < qmin ? q[j] : qmin;                                  \
    }                                                                                                         \
    blend &= mode == 0;                                                                                       \
    const __m512d qa = _mm512_loadu_pd(qbuf), qb = _mm512_loadu_pd(qbuf + 8);                                \
    const __m512d na = _mm512_loadu_pd(nbuf), nb = _mm512_loadu_pd(nbuf + 8);                                \
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);                                      \
    const __m512d vlam = _mm512_set1_pd(lam), vk = _mm512_set1_pd((double)k_reg);                             \
    const __m512i one_bits = _mm512_set1_epi64(0x3FF0000000000000LL);                                         \
    double row[MC_VECTOR_MAX] __attribute__((aligned(64)));                                                   \
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
        /* label j's mass goes to every label it is larger than; two chains of adds (any order is within the   \
           bound of the module docstring), so consecutive adds do not wait on each other */                   \
        __m512d above_a = zero, above_b = zero, count_a = zero, count_b = zero;                               \
        __m512d above_a2 = zero, above_b2 = zero, count_a2 = zero, count_b2 = zero;                           \
        int64_t j = 0;                                                                                        \
        for (; j + 2 <= k; j += 2) {                                                                          \
            const __m512d pj = _mm512_set1_pd(src[j]), pk = _mm512_set1_pd(src[j + 1]);                      \
            mc_vstep(pj, a, &above_a, &count_a, ranks); mc_vstep(pk, a, &above_a2, &count_a2, ranks);         \
            if (two) { mc_vstep(pj, b, &above_b, &count_b, ranks); mc_vstep(pk, b, &above_b2, &count_b2, ranks); } \
        }                                                                                                     \
        if (j < k) {                                                                                          \
            const __m512d pj = _mm512_set1_pd(src[j]);                                                        \
            mc_vstep(pj, a, &above_a, &count_a, ranks);                                                       \
            if (two) mc_vstep(pj, b, &above_b, &count_b, ranks);                                              \
        }                                                                                                     \
        above_a = _mm512_add_pd(above_a, above_a2); above_b = _mm512_add_pd(above_b, above_b2);               \
        if (ranks) { count_a = _mm512_add_pd(count_a, count_a2); count_b = _mm512_add_pd(count_b, count_b2); } \
        const __m512d ui = _mm512_set1_pd(mode == 1 ? u[i] : 0.0);                                            \
        __mmask8 in_a, close_a, in_b = 0, close_b = 0;                                                        \
        mc_vdecide(a, above_a, count_a, qa, na, mode, vlam, vk, ui, ranks, blend, ma, &in_a, &close_a);       \
        if (two) mc_vdecide(b, above_b, count_b, qb, nb, mode, vlam, vk, ui, ranks, blend, mb, &in_b, &close_b); \
        uint8_t* o = out + i * k;                                                                             \
        if (close_a | close_b) {              /* a score within rounding of its threshold: the exact walk */  \
            mc_row_exact(src, k, q, qmin, qmax, mode, lam, k_reg, mode == 1 ? u[i] : 0.0, nonempty, items, o); \
            continue;                                                                                         \
        }                                                                                                     \
        __mmask16 in = (__mmask16)(in_a | ((unsigned)in_b << 8));                                             \
        if (nonempty && !in)                  /* the top labels: nothing above them */                        \
            in = (__mmask16)(_mm512_mask_cmp_pd_mask(ma, above_a, zero, _CMP_EQ_OQ)                           \
                             | ((unsigned)_mm512_mask_cmp_pd_mask(mb, above_b, zero, _CMP_EQ_OQ) << 8));      \
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
