"""The C source of the compiled CPU engine: one call trains one whole epoch of an MLP with Adam.

Kept as a Python string (as ``torch.utils.cpp_extension.load_inline`` does) so it ships inside the wheel with no
package-data configuration; `multiclass.engine.compiled` compiles it once per machine with the system C
compiler and loads it with ctypes. It is plain C99 with no Python or torch headers, so the build takes about a
second and needs nothing but ``cc``.

What one step computes is exactly `multiclass.engine.step.FusedStep` (the Python reference, itself tested
against autograd): forward with cached pre-activations, the loss and its gradient on the logits with the
semantics of ``torch.nn.functional.cross_entropy`` (class weights, label smoothing, soft targets), backward,
then ``torch.optim.Adam``'s update. The matrix products call the Fortran BLAS ``sgemm_`` that PyTorch's own
library exports (MKL on x86 wheels) when one is passed in, else the small blocked loops below.
"""

SOURCE = r"""
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* GCC on x86-64 Linux also builds AVX-512 and AVX2 versions of the hot elementwise loops and picks one when
   the library loads (ifunc), so the cached library stays portable while Adam runs 2x faster on modern CPUs. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MC_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MC_CLONES
#endif
#if defined(__GNUC__)
#define MC_PREFETCH(address) __builtin_prefetch(address)
#else
#define MC_PREFETCH(address) ((void)0)
#endif

#define MC_SQRT1_2 0.70710678118654752440f     /* 1 / sqrt(2) */
#define MC_INV_SQRT_2PI 0.39894228040143267794f /* 1 / sqrt(2 pi) */

/* Fortran BLAS sgemm_. The integer arguments are passed as pointers to int64 holding small values: an LP64
   library reads their low 4 bytes and an ILP64 one all 8, which are the same number on little-endian CPUs. */
typedef void (*sgemm_t)(const char*, const char*, const int64_t*, const int64_t*, const int64_t*, const float*,
                        const float*, const int64_t*, const float*, const int64_t*, const float*, float*,
                        const int64_t*);

typedef struct {
    int64_t n_layers;             /* L linear layers */
    const int64_t* widths;        /* L + 1: n_features, hidden..., n_classes */
    float* const* params;         /* 2L: W0, b0, W1, b1, ... (torch's order); W is (out, in) row-major */
    float* const* exp_avg;        /* 2L: Adam's first moments, same shapes */
    float* const* exp_avg_sq;     /* 2L: Adam's second moments */
    const float* X;               /* (n_rows, F) */
    const int64_t* labels;        /* (n_rows,) class codes, or NULL */
    const float* soft;            /* (n_rows, K) target rows, or NULL */
    const float* class_weight;    /* (K,) or NULL */
    const int64_t* order;         /* (n,) the rows of this epoch, in visiting order */
    int64_t n, batch;
    int64_t activation;           /* 0 relu, 1 tanh, 2 sigmoid, 3 gelu (erf), 4 elu (alpha 1) */
    double dropout;               /* drop probability after each hidden activation */
    uint64_t seed;                /* dropout masks */
    double lr, beta1, beta2, eps;
    int64_t step;                 /* Adam steps taken before this epoch */
    double l2, label_smoothing;
    void* sgemm;                  /* sgemm_ or NULL */
} mc_epoch_args;

/* ---- matrix products (row-major) --------------------------------------------------------------------- */

/* C (M, N) += A (M, K) W^T, W (N, K): a layer's forward, C pre-filled with the bias. */
static void gemm_fwd(sgemm_t sg, int64_t M, int64_t N, int64_t K, const float* A, const float* W, float* C) {
    if (sg) {  /* column-major view: C^T (N, M) = W^T' (N, K) A^T (K, M) */
        const float one = 1.0f;
        sg("T", "N", &N, &M, &K, &one, W, &K, A, &K, &one, C, &N);
        return;
    }
    int64_t i = 0;
    for (; i + 4 <= M; i += 4) {  /* four rows share each load of W */
        const float *a0 = A + i * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;
        for (int64_t j = 0; j < N; j++) {
            const float* w = W + j * K;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            #pragma omp simd reduction(+:s0, s1, s2, s3)
            for (int64_t k = 0; k < K; k++) {
                s0 += a0[k] * w[k]; s1 += a1[k] * w[k]; s2 += a2[k] * w[k]; s3 += a3[k] * w[k];
            }
            C[i * N + j] += s0; C[(i + 1) * N + j] += s1; C[(i + 2) * N + j] += s2; C[(i + 3) * N + j] += s3;
        }
    }
    for (; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float *a = A + i * K, *w = W + j * K;
            float s = 0;
            #pragma omp simd reduction(+:s)
            for (int64_t k = 0; k < K; k++) s += a[k] * w[k];
            C[i * N + j] += s;
        }
}

/* dW (N, K) = G^T (N, M) A (M, K): a weight's gradient. */
static void gemm_wgrad(sgemm_t sg, int64_t M, int64_t N, int64_t K, const float* G, const float* A, float* dW) {
    if (sg) {  /* column-major view: dW^T (K, N) = A^T (K, M) G (M, N) */
        const float one = 1.0f, zero = 0.0f;
        sg("N", "T", &K, &N, &M, &one, A, &K, G, &N, &zero, dW, &K);
        return;
    }
    memset(dW, 0, sizeof(float) * N * K);
    for (int64_t j = 0; j < N; j++) {
        float* d = dW + j * K;
        for (int64_t i = 0; i < M; i++) {
            const float g = G[i * N + j], *a = A + i * K;
            #pragma omp simd
            for (int64_t k = 0; k < K; k++) d[k] += g * a[k];
        }
    }
}

/* dA (M, K) = G (M, N) W (N, K): the gradient flowing to a layer's input. */
static void gemm_igrad(sgemm_t sg, int64_t M, int64_t N, int64_t K, const float* G, const float* W, float* dA) {
    if (sg) {  /* column-major view: dA^T (K, M) = W^T (K, N) G^T (N, M) */
        const float one = 1.0f, zero = 0.0f;
        sg("N", "N", &K, &M, &N, &one, W, &K, G, &N, &zero, dA, &K);
        return;
    }
    memset(dA, 0, sizeof(float) * M * K);
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float g = G[i * N + j], *w = W + j * K;
            float* d = dA + i * K;
            #pragma omp simd
            for (int64_t k = 0; k < K; k++) d[k] += g * w[k];
        }
}

/* ---- activations: forward from z, backward from z or the activation's output (as autograd does) ------- */

MC_CLONES static void act_fwd(int64_t kind, int64_t n, const float* z, float* a) {
    switch (kind) {
    case 0: for (int64_t i = 0; i < n; i++) a[i] = z[i] > 0.0f ? z[i] : 0.0f; break;
    case 1: for (int64_t i = 0; i < n; i++) a[i] = tanhf(z[i]); break;
    case 2: for (int64_t i = 0; i < n; i++) a[i] = 1.0f / (1.0f + expf(-z[i])); break;
    case 3: for (int64_t i = 0; i < n; i++) a[i] = 0.5f * z[i] * (1.0f + erff(z[i] * MC_SQRT1_2)); break;
    default: for (int64_t i = 0; i < n; i++) a[i] = z[i] > 0.0f ? z[i] : expm1f(z[i]); break;
    }
}

/* g *= act'(z); a is act(z) (before dropout). */
MC_CLONES static void act_bwd(int64_t kind, int64_t n, const float* z, const float* a, float* g) {
    switch (kind) {
    case 0: for (int64_t i = 0; i < n; i++) g[i] = a[i] > 0.0f ? g[i] : 0.0f; break;
    case 1: for (int64_t i = 0; i < n; i++) g[i] *= 1.0f - a[i] * a[i]; break;
    case 2: for (int64_t i = 0; i < n; i++) g[i] *= (1.0f - a[i]) * a[i]; break;
    case 3:
        for (int64_t i = 0; i < n; i++) {
            const float cdf = 0.5f * (1.0f + erff(z[i] * MC_SQRT1_2));
            g[i] *= cdf + z[i] * expf(-0.5f * z[i] * z[i]) * MC_INV_SQRT_2PI;
        }
        break;
    default: for (int64_t i = 0; i < n; i++) g[i] = z[i] > 0.0f ? g[i] : g[i] * expf(z[i]); break;
    }
}

static uint64_t splitmix64(uint64_t* state) {  /* Steele, Lea & Flood (2014); passes BigCrush */
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- the loss on logits and its gradient ------------------------------------------------------------- */

/* Writes G = d(batch loss)/d(logits) (M, K) over logits Z and returns the batch's mean loss, with
   torch.nn.functional.cross_entropy's semantics: each row's target R_i (labels: (1-e) w_y onehot + e/K w;
   soft rows: w * ((1-e) t + e/K)) gives loss_i = -sum_c R_ic log p_ic and dloss_i/dz = p_i sum_c R_ic - R_i,
   divided by sum_i w[y_i] for weighted labels and by M otherwise. */
static double loss_grad(const mc_epoch_args* a, int64_t M, int64_t K, const int64_t* rows, const float* Z,
                        float* G, float* R) {
    const float e = (float)a->label_smoothing, *w = a->class_weight;
    double denominator = (double)M;
    if (a->labels && w) {
        denominator = 0.0;
        for (int64_t i = 0; i < M; i++) denominator += w[a->labels[rows[i]]];
    }
    const float inv = (float)(1.0 / denominator);
    double total = 0.0;
    for (int64_t i = 0; i < M; i++) {
        const float* z = Z + i * K;
        float* g = G + i * K;
        if (a->labels) {
            const int64_t y = a->labels[rows[i]];
            for (int64_t c = 0; c < K; c++) R[c] = (w ? w[c] : 1.0f) * (e / (float)K);
            R[y] += (1.0f - e) * (w ? w[y] : 1.0f);
        } else {
            const float* t = a->soft + rows[i] * K;
            for (int64_t c = 0; c < K; c++) R[c] = (w ? w[c] : 1.0f) * ((1.0f - e) * t[c] + e / (float)K);
        }
        float zmax = z[0];
        for (int64_t c = 1; c < K; c++) zmax = z[c] > zmax ? z[c] : zmax;
        float sum = 0.0f, rsum = 0.0f;
        for (int64_t c = 0; c < K; c++) { g[c] = expf(z[c] - zmax); sum += g[c]; rsum += R[c]; }
        const float lse = zmax + logf(sum);
        double row_loss = 0.0;
        for (int64_t c = 0; c < K; c++) {
            if (R[c] != 0.0f) row_loss -= (double)R[c] * (double)(z[c] - lse);
            g[c] = (g[c] / sum * rsum - R[c]) * inv;
        }
        total += row_loss;
    }
    return total / denominator;
}

/* ---- Adam, as torch.optim.Adam (foreach): lerp, addcmul, sqrt / bc2_sqrt + eps, addcdiv ------------- */

MC_CLONES static void adam(int64_t n, float* p, const float* grad, float* m, float* v, float l2x2, float one_minus_b1,
                 float b2, float one_minus_b2, float bc2_sqrt, float eps, float step_size) {
    #pragma omp simd
    for (int64_t i = 0; i < n; i++) {
        const float g = grad[i] + l2x2 * p[i];  /* d(l2 * sum W^2)/dW = 2 l2 W; l2x2 is 0 for biases */
        m[i] = m[i] + one_minus_b1 * (g - m[i]);
        v[i] = v[i] * b2 + one_minus_b2 * g * g;
        p[i] = p[i] - step_size * (m[i] / (sqrtf(v[i]) / bc2_sqrt + eps));
    }
}

/* ---- one epoch ---------------------------------------------------------------------------------------- */

#define MC_MAX_LAYERS 64

int mc_train_epoch(const mc_epoch_args* a, double* loss_sum) {
    const int64_t L = a->n_layers, B = a->batch, F = a->widths[0], K = a->widths[L];
    if (L < 1 || L > MC_MAX_LAYERS || B < 1 || (a->labels == NULL) == (a->soft == NULL)) return 2;
    const sgemm_t sg = (sgemm_t)a->sgemm;
    const int drop = a->dropout > 0.0;
    const float keep = (float)(1.0 - a->dropout), scale = 1.0f / keep;
    int64_t widest = K, n_act = 0, n_grad = 0;
    for (int64_t l = 0; l <= L; l++) widest = a->widths[l] > widest ? a->widths[l] : widest;
    for (int64_t l = 0; l < L; l++) {
        n_act += B * a->widths[l + 1];
        n_grad += a->widths[l + 1] * a->widths[l] + a->widths[l + 1];
    }
    /* z: pre-activations; act: activations; keep: dropout multipliers (0 or 1 / (1 - p)); hid: act * keep */
    const int64_t n_floats = B * F + 4 * n_act + 2 * B * widest + n_grad + K;
    float* block = (float*)malloc(sizeof(float) * (size_t)n_floats);
    if (!block) return 1;
    float *xb = block, *cursor = block + B * F;
    float *z[MC_MAX_LAYERS], *act[MC_MAX_LAYERS], *keep_mul[MC_MAX_LAYERS], *hid[MC_MAX_LAYERS];
    float* grad[2 * MC_MAX_LAYERS];
    for (int64_t l = 0; l < L; l++) { z[l] = cursor; cursor += B * a->widths[l + 1]; }
    for (int64_t l = 0; l < L; l++) { act[l] = cursor; cursor += B * a->widths[l + 1]; }
    for (int64_t l = 0; l < L; l++) { keep_mul[l] = cursor; cursor += B * a->widths[l + 1]; }
    for (int64_t l = 0; l < L; l++) { hid[l] = drop ? cursor : act[l]; cursor += B * a->widths[l + 1]; }
    float *g_out = cursor, *g_in = cursor + B * widest;
    cursor += 2 * B * widest;
    for (int64_t l = 0; l < L; l++) {
        grad[2 * l] = cursor; cursor += a->widths[l + 1] * a->widths[l];
        grad[2 * l + 1] = cursor; cursor += a->widths[l + 1];
    }
    float* R = cursor;
    uint64_t rng = a->seed;
    const float one_minus_b1 = (float)(1.0 - a->beta1), b2 = (float)a->beta2, one_minus_b2 = (float)(1.0 - a->beta2);
    double total = 0.0;
    int64_t step = a->step;

    for (int64_t start = 0; start < a->n; start += B) {
        const int64_t M = a->n - start < B ? a->n - start : B;
        const int64_t* rows = a->order + start;
        for (int64_t i = 0; i < M; i++) memcpy(xb + i * F, a->X + rows[i] * F, sizeof(float) * F);
        /* The next batch's rows are scattered over X (far larger than the caches): ask for them now, so the
           next gather finds them in cache instead of waiting on memory (~40% of the gather time). */
        for (int64_t i = start + B; i < start + 2 * B && i < a->n; i++)
            for (int64_t k = 0; k < F; k += 16) MC_PREFETCH(a->X + a->order[i] * F + k);
        /* forward */
        const float* h = xb;
        for (int64_t l = 0; l < L; l++) {
            const int64_t in = a->widths[l], out = a->widths[l + 1];
            const float* bias = a->params[2 * l + 1];
            for (int64_t i = 0; i < M; i++) memcpy(z[l] + i * out, bias, sizeof(float) * out);
            gemm_fwd(sg, M, out, in, h, a->params[2 * l], z[l]);
            if (l == L - 1) break;
            act_fwd(a->activation, M * out, z[l], act[l]);
            if (drop)  /* inverted dropout: keep with probability 1 - p and scale by 1 / (1 - p), as torch */
                for (int64_t i = 0; i < M * out; i++) {
                    keep_mul[l][i] = (float)(splitmix64(&rng) >> 40) * 0x1.0p-24f < keep ? scale : 0.0f;
                    hid[l][i] = act[l][i] * keep_mul[l][i];
                }
            h = hid[l];
        }
        double batch_loss = loss_grad(a, M, K, rows, z[L - 1], g_out, R);
        if (a->l2 > 0.0) {
            double squares = 0.0;
            for (int64_t l = 0; l < L; l++) {
                const float* W = a->params[2 * l];
                for (int64_t i = 0; i < a->widths[l + 1] * a->widths[l]; i++) squares += (double)W[i] * W[i];
            }
            batch_loss += a->l2 * squares;
        }
        total += batch_loss * (double)M;
        /* backward: g_out holds d loss / d z[l] (M, out) */
        for (int64_t l = L - 1; l >= 0; l--) {
            const int64_t in = a->widths[l], out = a->widths[l + 1];
            const float* h_in = l == 0 ? xb : hid[l - 1];
            gemm_wgrad(sg, M, out, in, g_out, h_in, grad[2 * l]);
            float* db = grad[2 * l + 1];
            memset(db, 0, sizeof(float) * out);
            for (int64_t i = 0; i < M; i++)
                for (int64_t j = 0; j < out; j++) db[j] += g_out[i * out + j];
            if (l == 0) break;
            gemm_igrad(sg, M, out, in, g_out, a->params[2 * l], g_in);
            if (drop)
                for (int64_t i = 0; i < M * in; i++) g_in[i] *= keep_mul[l - 1][i];
            act_bwd(a->activation, M * in, z[l - 1], act[l - 1], g_in);
            float* swap = g_out; g_out = g_in; g_in = swap;
        }
        /* Adam, bias corrections in double as torch computes them in Python */
        step += 1;
        const double bc1 = 1.0 - pow(a->beta1, (double)step), bc2 = 1.0 - pow(a->beta2, (double)step);
        const float step_size = (float)(a->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
        for (int64_t l = 0; l < L; l++) {
            const int64_t out = a->widths[l + 1], n_w = out * a->widths[l];
            adam(n_w, a->params[2 * l], grad[2 * l], a->exp_avg[2 * l], a->exp_avg_sq[2 * l], (float)(2.0 * a->l2),
                 one_minus_b1, b2, one_minus_b2, bc2_sqrt, (float)a->eps, step_size);
            adam(out, a->params[2 * l + 1], grad[2 * l + 1], a->exp_avg[2 * l + 1], a->exp_avg_sq[2 * l + 1], 0.0f,
                 one_minus_b1, b2, one_minus_b2, bc2_sqrt, (float)a->eps, step_size);
        }
    }
    free(block);
    *loss_sum = total;
    return 0;
}
"""
