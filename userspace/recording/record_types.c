/* record_types.c - what the recording format knows about each record type:
 * its size, whether it carries a variable tail, its name; and the CRC-32
 * that guards every block. Free of libbpf and zlib so the fuzzer can build
 * the reader from this file, reader.c and recording.c alone. */
#include <string.h>
#include "recording.h"

const struct tl_type_desc tl_type_descs[TL_MAX_TYPES] = {
	[TL_SWITCH] = { "switch", sizeof(struct tl_switch), false },
	[TL_WAKING] = { "waking", sizeof(struct tl_waking), false },
	[TL_WAKEUP_NEW] = { "wakeup_new", sizeof(struct tl_waking), false },
	[TL_MIGRATE] = { "migrate", sizeof(struct tl_migrate), false },
	[TL_FORK] = { "fork", sizeof(struct tl_fork), false },
	[TL_NEWTASK] = { "newtask", sizeof(struct tl_newtask), false },
	[TL_EXEC] = { "exec", sizeof(struct tl_exec), false },
	[TL_EXIT] = { "exit", sizeof(struct tl_exit), false },
	[TL_WAIT] = { "wait", sizeof(struct tl_wait), false },
	[TL_RENAME] = { "rename", sizeof(struct tl_rename), false },
	[TL_SYS_ENTER] = { "sys_enter", sizeof(struct tl_sys_enter), false },
	[TL_SYS_EXIT] = { "sys_exit", sizeof(struct tl_sys_exit), false },
	[TL_SIGNAL_GEN] = { "signal_generate", sizeof(struct tl_signal_gen), false },
	[TL_SIGNAL_DELIVER] = { "signal_deliver", sizeof(struct tl_signal_deliver), false },
	[TL_USDT] = { "usdt", sizeof(struct tl_usdt), false },
	[TL_SOCK_COUNT] = { "sock_count", sizeof(struct tl_sock_count), false },
	[TL_TASK_SNAP] = { "task_snap", sizeof(struct tl_task_snap), false },
	[TL_SOCK_PEER] = { "sock_peer", sizeof(struct tl_sock_peer), false },
	[TL_PROC_INFO] = { "proc_info", sizeof(struct tl_proc_info), true },
	[TL_PROC_MAPS] = { "proc_maps", sizeof(struct tl_proc_maps), true },
	[TL_LOSS] = { "loss", sizeof(struct tl_loss), false },
	[TL_STACK] = { "stack", sizeof(struct tl_stack), true },
	[TL_STACK_REF] = { "stack_ref", sizeof(struct tl_stack_ref), false },
	[TL_KSYM] = { "ksym", sizeof(struct tl_ksym), true },
	[TL_TRAILER] = { "trailer", sizeof(struct tl_trailer), false },
};

bool tl_record_is_variable(uint16_t type)
{
	return type < TL_MAX_TYPES && tl_type_descs[type].variable;
}

const char *tl_type_name(uint16_t type)
{
	if (type >= TL_MAX_TYPES || !tl_type_descs[type].name)
		return "unknown";
	return tl_type_descs[type].name;
}

size_t tl_record_max_size(uint16_t type)
{
	if (type == TL_PROC_INFO)
		return sizeof(struct tl_proc_info) + TL_PROC_INFO_MAX_CMDLINE;
	if (type == TL_PROC_MAPS)
		return sizeof(struct tl_proc_maps) + TL_PROC_MAPS_MAX;
	if (type == TL_STACK)
		return sizeof(struct tl_stack) + 8 * TL_STACK_MAX_FRAMES;
	if (type == TL_KSYM)
		return sizeof(struct tl_ksym) + TL_KSYM_NAME_MAX;
	return tl_record_min_size(type);
}

/* ---- CRC-32 ----
 * IEEE 802.3, reflected, polynomial 0xEDB88320: the same values as zlib's
 * crc32(), so any tool can check a block, without linking zlib into the
 * fuzzer.
 *
 * Every byte of a recording is checked when it is read, so this is on the
 * export's critical path. Three ways, all giving the same value:
 *   - on x86-64 CPUs with carry-less multiply, 64-byte chunks are folded
 *     into four 128-bit accumulators (each step multiplies an accumulator
 *     by x^512 mod P and adds the next chunk), then reduced to a CRC state;
 *   - elsewhere, a long buffer is cut into eight lanes whose states are
 *     computed side by side and joined;
 *   - each lane, and short buffers, eight bytes a step through eight tables
 *     ("slicing by 8": table k gives the CRC of a byte followed by k zero
 *     bytes).
 * Polynomials below are in the reflected bit order of the CRC state: bit 31
 * of a 32-bit value is the coefficient of x^0. Tables and constants are
 * built before main(), so threads never race on them.
 */
#define CRC_POLY 0xEDB88320u

static uint32_t crc_table[8][256];

/* a * b modulo the polynomial. */
static uint32_t crc_mulmod(uint32_t a, uint32_t b)
{
	uint32_t p = 0;

	for (uint32_t bit = 1u << 31; bit; bit >>= 1) {
		if (a & bit)
			p ^= b;
		b = (b & 1) ? (b >> 1) ^ CRC_POLY : b >> 1;   /* b *= x */
	}
	return p;
}

/* x^e modulo the polynomial. */
static uint32_t crc_xpow(uint64_t e)
{
	uint32_t r = 1u << 31, base = 1u << 30;   /* x^0, x^1 */

	for (; e; e >>= 1) {
		if (e & 1)
			r = crc_mulmod(r, base);
		base = crc_mulmod(base, base);
	}
	return r;
}

/* ---- tables ---- */

static uint32_t crc_bytes(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* Little-endian load without alignment assumptions. */
static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Folds 8 bytes into a CRC state. */
static inline uint32_t crc_step8(uint32_t crc, const uint8_t *p)
{
	uint64_t v = load_le64(p) ^ crc;

	return crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
	       crc_table[5][(v >> 16) & 0xff] ^ crc_table[4][(v >> 24) & 0xff] ^
	       crc_table[3][(v >> 32) & 0xff] ^ crc_table[2][(v >> 40) & 0xff] ^
	       crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
}

static uint32_t crc_slice8(uint32_t crc, const uint8_t *p, size_t len)
{
	for (; len >= 8; len -= 8, p += 8)
		crc = crc_step8(crc, p);
	return crc_bytes(crc, p, len);
}

/* ---- lanes ---- */

#define CRC_LANES 8
#define CRC_LANE_MIN 256   /* below this a buffer is done in one lane */

/* The CRC state is linear in its start value, so a buffer can be cut into
 * equal parts whose states are computed side by side (independent chains
 * of table look-ups keep the CPU busy) and then joined: state(A B) =
 * state(A) * x^(8 |B|) + state_from_zero(B). */
static uint32_t crc_lanes(uint32_t crc, const uint8_t *p, size_t len)
{
	size_t lane = len / CRC_LANES & ~(size_t)7;
	uint32_t c[CRC_LANES] = { crc };
	uint32_t f;

	if (len < CRC_LANE_MIN * CRC_LANES)
		return crc_slice8(crc, p, len);
	for (size_t off = 0; off < lane; off += 8)
		for (int k = 0; k < CRC_LANES; k++)
			c[k] = crc_step8(c[k], p + k * lane + off);
	f = crc_xpow(8 * (uint64_t)lane);
	crc = c[0];
	for (int k = 1; k < CRC_LANES; k++)
		crc = crc_mulmod(crc, f) ^ c[k];
	return crc_slice8(crc, p + lane * CRC_LANES, len - lane * CRC_LANES);
}

/* ---- carry-less multiply (x86-64) ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <wmmintrin.h>
#define CRC_HAVE_CLMUL 1

static bool have_clmul;
/* Folding constants: a 128-bit accumulator whose bits stand for x^127 (bit
 * 0) .. x^0 (bit 127) of a chunk followed by D more bits is replaced by
 * low64 * x^(D+63) + high64 * x^(D-1) (mod P); the -1 makes up for the
 * carry-less product of two reflected operands coming out one bit low.
 * Each constant is a 32-bit remainder placed in the high half of a
 * 64-bit operand. */
static uint64_t k512_lo, k512_hi, k128_lo, k128_hi;

static void clmul_init(void)
{
	have_clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
	k512_lo = (uint64_t)crc_xpow(512 + 63) << 32;
	k512_hi = (uint64_t)crc_xpow(512 - 1) << 32;
	k128_lo = (uint64_t)crc_xpow(128 + 63) << 32;
	k128_hi = (uint64_t)crc_xpow(128 - 1) << 32;
}

__attribute__((target("pclmul,sse2")))
static inline __m128i fold(__m128i x, __m128i k, __m128i next)
{
	__m128i a = _mm_clmulepi64_si128(x, k, 0x00);   /* low64 * k.low */
	__m128i b = _mm_clmulepi64_si128(x, k, 0x11);   /* high64 * k.high */

	return _mm_xor_si128(_mm_xor_si128(a, b), next);
}

/* The state after len (>= 64) bytes from state crc. */
__attribute__((target("pclmul,sse2")))
static uint32_t crc_clmul(uint32_t crc, const uint8_t *p, size_t len)
{
	const __m128i k4 = _mm_set_epi64x((long long)k512_hi, (long long)k512_lo);
	const __m128i k1 = _mm_set_epi64x((long long)k128_hi, (long long)k128_lo);
	__m128i x[4];
	uint8_t out[16];

	for (int i = 0; i < 4; i++)
		x[i] = _mm_loadu_si128((const __m128i *)(p + 16 * i));
	x[0] = _mm_xor_si128(x[0], _mm_cvtsi32_si128((int)crc));
	for (p += 64, len -= 64; len >= 64; p += 64, len -= 64)
		for (int i = 0; i < 4; i++)
			x[i] = fold(x[i], k4, _mm_loadu_si128((const __m128i *)(p + 16 * i)));
	for (int i = 1; i < 4; i++)
		x[i] = fold(x[i - 1], k1, x[i]);
	for (; len >= 16; p += 16, len -= 16)
		x[3] = fold(x[3], k1, _mm_loadu_si128((const __m128i *)p));
	/* the accumulator's bytes, as a message of their own from state 0,
	 * give the state: its remainder times x^32 */
	_mm_storeu_si128((__m128i *)out, x[3]);
	return crc_slice8(crc_slice8(0, out, 16), p, len);
}
#endif

__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? CRC_POLY ^ (c >> 1) : c >> 1;
		crc_table[0][n] = c;
	}
	for (uint32_t n = 0; n < 256; n++)
		for (int k = 1; k < 8; k++) {
			uint32_t c = crc_table[k - 1][n];

			crc_table[k][n] = crc_table[0][c & 0xff] ^ (c >> 8);
		}
#ifdef CRC_HAVE_CLMUL
	clmul_init();
#endif
}

uint32_t tl_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
#ifdef CRC_HAVE_CLMUL
	if (have_clmul && len >= 64)
		return ~crc_clmul(crc, p, len);
#endif
	return ~crc_lanes(crc, p, len);
}
