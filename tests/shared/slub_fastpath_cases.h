// SLUB's per-CPU fast paths, case by case, written once and run twice: by the host suite
// (tests/host/test_slab.cpp, against the C cpu_freelist_pop/push) and on target
// (tests/target/slub_fastpath_test.cpp, against the restartable-sequence asm), so the
// primitive that ships is held to exactly the cases the host checks.
//
// Each case is a template over an Env that reports failures and can run code as another CPU:
//   void fail(const char *file, int line, const char *text)   one failed expectation
//   void fail_op(file, line, a_text, op, b_text, u64 a, u64 b)  a failed comparison
//   template <class F> bool as_cpu(unsigned cpu, F f)          runs f with smp_processor_id()
//                                                              == cpu; false: cannot (skip)
// Caches are private (SLAB_RECLAIM_ACCOUNT with sizes no other cache has, so none merges),
// so nothing else touches their per-CPU freelists while a case runs.
#pragma once

#include <asm/smp.h>

#include "kstd/types.h"
#include "mm/page-flags.h"
#include "mm/page_alloc.h"
#include "mm/slab_active.h"

namespace slub_fastpath_cases {

using S = SlabCommon<slub::Allocator>;

// Expectations with the line they are written on and, for comparisons, both values.
#define SFP_EXPECT(env, cond)                                                                  \
	((cond) ? true : ((env).fail(__FILE__, __LINE__, "Expected " #cond " to be true, but is false"), false))
#define SFP_EXPECT_OP(env, a, op, b)                                                           \
	do {                                                                                       \
		u64 sfp_a_ = (u64)(a), sfp_b_ = (u64)(b);                                              \
		if (!(sfp_a_ op sfp_b_))                                                               \
			(env).fail_op(__FILE__, __LINE__, #a, #op, #b, sfp_a_, sfp_b_);                    \
	} while (0)
#define SFP_EXPECT_EQ(env, a, b) SFP_EXPECT_OP(env, a, ==, b)
#define SFP_EXPECT_NE(env, a, b) SFP_EXPECT_OP(env, a, !=, b)
#define SFP_ASSERT(env, cond)          \
	do {                               \
		if (!SFP_EXPECT(env, cond)) \
			return;                \
	} while (0)

inline constexpr unsigned long CALLER = 0x5fa5;

inline kmem_cache *create(const char *name, unsigned size)
{
	return S::create(name, size, 0, SLAB_RECLAIM_ACCOUNT | SLAB_NO_USER_FLAGS, nullptr, CALLER);
}
inline void *alloc(kmem_cache *s) { return S::cache_alloc(s, GFP_KERNEL, CALLER); }
inline void free(kmem_cache *s, void *p) { S::cache_free(s, p, CALLER); }
inline void destroy(kmem_cache *s) { S::destroy(s, CALLER); }
inline slub::kmem_cache_cpu &cpu_slab(kmem_cache *s) { return slub::C(s)->cpu_slab[smp_processor_id()]; }
// The free-pointer word stored in a free object, as the primitive wrote it.
inline uptr raw_free_pointer(kmem_cache *s, void *object)
{
	uptr v;
	__builtin_memcpy(&v, static_cast<u8 *>(object) + slub::Allocator::free_pointer_offset(s), sizeof(v));
	return v;
}
inline uptr U(const void *p) { return reinterpret_cast<uptr>(p); }

// The primitive itself: pop takes the head and installs its decoded successor; push installs
// x above the old head with an encoded pointer; both refuse without changing anything when
// the list is empty (pop), x is of another slab or already the head (push).
template <class Env> void pop_push_primitive(Env &env)
{
	kmem_cache *s = create("fastpath-prim", 72);
	SFP_ASSERT(env, s != nullptr);
	SFP_EXPECT_EQ(env, s->refcount, 1); // a fresh cache: no other user shares its freelists
	void *first = alloc(s);             // the slow path freezes a slab for this CPU
	SFP_ASSERT(env, first != nullptr);
	slub::kmem_cache_cpu &c = cpu_slab(s);
	page *slab = c.slab;
	SFP_ASSERT(env, slab != nullptr);
	SFP_ASSERT(env, c.freelist != nullptr);

	void *head = c.freelist;
	void *next = slub::get_freepointer(slub::C(s), head);
	void *x = slub::cpu_freelist_pop(slub::C(s));
	SFP_EXPECT_EQ(env, U(x), U(head));
	SFP_EXPECT_EQ(env, U(c.freelist), U(next));
	SFP_EXPECT(env, c.slab == slab);

	// Push stores the old head encoded (never the raw pointer) and publishes x.
	SFP_EXPECT(env, slub::cpu_freelist_push(slub::C(s), slab, x));
	SFP_EXPECT_EQ(env, U(c.freelist), U(x));
	SFP_EXPECT_NE(env, raw_free_pointer(s, x), U(next));
	SFP_EXPECT_EQ(env, U(slub::get_freepointer(slub::C(s), x)), U(next));

	// x is the head now: pushing it again is the immediate double free, refused untouched.
	uptr stored = raw_free_pointer(s, x);
	SFP_EXPECT(env, !slub::cpu_freelist_push(slub::C(s), slab, x));
	SFP_EXPECT_EQ(env, U(c.freelist), U(x));
	SFP_EXPECT_EQ(env, raw_free_pointer(s, x), stored);

	// An object of another slab (here: claimed to be) is refused untouched.
	void *y = slub::cpu_freelist_pop(slub::C(s));
	SFP_ASSERT(env, y == x);
	uptr y_word = raw_free_pointer(s, y);
	SFP_EXPECT(env, !slub::cpu_freelist_push(slub::C(s), slab + 1, y));
	SFP_EXPECT_EQ(env, U(c.freelist), U(next));
	SFP_EXPECT_EQ(env, raw_free_pointer(s, y), y_word);
	SFP_EXPECT(env, slub::cpu_freelist_push(slub::C(s), slab, y));

	// Popping the whole list hands out each object once, in LIFO order, then reports empty
	// without touching the (empty) list.
	unsigned popped = 0;
	void *objs[512];
	while (void *o = slub::cpu_freelist_pop(slub::C(s))) {
		SFP_ASSERT(env, popped < 512);
		for (unsigned i = 0; i < popped; i++)
			SFP_ASSERT(env, objs[i] != o);
		objs[popped++] = o;
	}
	SFP_EXPECT(env, c.freelist == nullptr);
	SFP_EXPECT(env, slub::cpu_freelist_pop(slub::C(s)) == nullptr);
	SFP_EXPECT(env, c.freelist == nullptr);
	SFP_EXPECT(env, c.slab == slab);
	SFP_EXPECT_EQ(env, U(objs[0]), U(y));
	SFP_EXPECT_EQ(env, S::live_objects(s), popped + 1); // popped objects are allocated
	// Back through the public free: every object returns through push (same slab, not head).
	for (unsigned i = popped; i-- > 0;)
		free(s, objs[i]);
	free(s, first);
	SFP_EXPECT_EQ(env, S::live_objects(s), 0u);
	SFP_EXPECT_EQ(env, S::validate(s), 1);
	destroy(s);
}

// Free pointers are stored hardened (XOR the cache secret and the swabbed address of the
// object holding them), so a stored word is never the pointer itself; objects come back LIFO.
template <class Env> void hardened_free_pointers(Env &env)
{
	kmem_cache *s = create("fastpath-hardened", 136);
	SFP_ASSERT(env, s != nullptr);
	SFP_EXPECT_EQ(env, s->refcount, 1);
	void *a = alloc(s), *b = alloc(s);
	SFP_ASSERT(env, a && b);
	free(s, b);
	free(s, a); // a's slot now holds the encoded pointer to b
	SFP_EXPECT_NE(env, raw_free_pointer(s, a), U(b));
	SFP_EXPECT_NE(env, raw_free_pointer(s, a), 0u);
	void *a2 = alloc(s), *b2 = alloc(s);
	SFP_EXPECT_EQ(env, U(a2), U(a));
	SFP_EXPECT_EQ(env, U(b2), U(b));
	free(s, a2);
	free(s, b2);
	destroy(s);
}

// The encoding depends on the holder's address: two objects pointing at the same successor
// store different words, and XOR with the target does not reveal the secret.
template <class Env> void free_pointers_depend_on_address(Env &env)
{
	kmem_cache *s = create("fastpath-hardened-2", 200);
	SFP_ASSERT(env, s != nullptr);
	SFP_EXPECT_EQ(env, s->refcount, 1);
	void *a = alloc(s), *b = alloc(s), *c = alloc(s);
	SFP_ASSERT(env, a && b && c);
	// a and c both end up pointing at b: the stored words must still differ.
	free(s, b);
	free(s, a); // a -> b
	void *a2 = alloc(s);
	SFP_ASSERT(env, a2 == a);
	free(s, c); // c -> b
	SFP_EXPECT_NE(env, raw_free_pointer(s, c), U(b));
	free(s, a); // a -> c
	SFP_EXPECT_NE(env, raw_free_pointer(s, a), U(c));
	SFP_EXPECT_NE(env, raw_free_pointer(s, a) ^ U(c), raw_free_pointer(s, c) ^ U(b));
	SFP_EXPECT_EQ(env, U(alloc(s)), U(a));
	SFP_EXPECT_EQ(env, U(alloc(s)), U(c));
	SFP_EXPECT_EQ(env, U(alloc(s)), U(b));
	free(s, a);
	free(s, b);
	free(s, c);
	SFP_EXPECT_EQ(env, S::live_objects(s), 0u);
	destroy(s);
}

// Objects in the head page and in tail pages of a multi-page slab all free through the CPU
// freelist (obj_to_slab finds the head for a tail page): free and allocate again returns the
// same object.
template <class Env> void multi_page_slab(Env &env)
{
	kmem_cache *s = create("fastpath-multipage", 2000);
	SFP_ASSERT(env, s != nullptr);
	SFP_EXPECT_EQ(env, s->refcount, 1);
	slabinfo si{};
	slub::Allocator::get_slabinfo(s, si);
	SFP_ASSERT(env, si.cache_order >= 1);
	SFP_ASSERT(env, si.objects_per_slab <= 64);
	void *v[64];
	for (unsigned i = 0; i < si.objects_per_slab; i++) {
		v[i] = alloc(s);
		SFP_ASSERT(env, v[i] != nullptr);
	}
	unsigned tails = 0;
	for (unsigned i = 0; i < si.objects_per_slab; i++) {
		tails += PageTail(virt_to_page(v[i]));
		free(s, v[i]);
		SFP_EXPECT_EQ(env, U(cpu_slab(s).freelist), U(v[i])); // pushed, not sent to the slow path
		SFP_EXPECT_EQ(env, U(alloc(s)), U(v[i]));
	}
	SFP_EXPECT_NE(env, tails, 0u);
	for (unsigned i = 0; i < si.objects_per_slab; i++)
		free(s, v[i]);
	SFP_EXPECT_EQ(env, S::live_objects(s), 0u);
	SFP_EXPECT(env, S::validate(s) >= 1);
	destroy(s);
}

// Another CPU's free of an object is not a fast-path push (the slab is not its CPU slab): the
// object goes back to its own slab, and the owner's fast path picks it up again.
template <class Env> void remote_free_returns_to_owner(Env &env)
{
	kmem_cache *s = create("fastpath-remote", 264);
	SFP_ASSERT(env, s != nullptr);
	SFP_EXPECT_EQ(env, s->refcount, 1);
	unsigned me = smp_processor_id(), other = (me + 1) % NR_CPUS;
	constexpr unsigned N = 100;
	void *v[N];
	for (unsigned i = 0; i < N; i++) {
		v[i] = alloc(s);
		SFP_ASSERT(env, v[i] != nullptr);
	}
	page *mine = cpu_slab(s).slab;
	void *my_head = cpu_slab(s).freelist;
	bool ran = env.as_cpu(other, [&] {
		for (unsigned i = 0; i < N; i++)
			free(s, v[i]);
		// Nothing was pushed on the other CPU's list (it has no slab of this cache).
		SFP_EXPECT(env, cpu_slab(s).slab == nullptr);
		SFP_EXPECT(env, cpu_slab(s).freelist == nullptr);
	});
	if (!ran) {
		for (unsigned i = 0; i < N; i++)
			free(s, v[i]);
		destroy(s);
		return;
	}
	SFP_EXPECT_EQ(env, S::live_objects(s), 0u);
	SFP_EXPECT(env, cpu_slab(s).slab == mine);
	SFP_EXPECT_EQ(env, U(cpu_slab(s).freelist), U(my_head));
	// Allocate them again on both CPUs: no object is handed out twice.
	void *w[N];
	env.as_cpu(other, [&] {
		for (unsigned i = 0; i < N / 2; i++)
			w[i] = alloc(s);
	});
	for (unsigned i = N / 2; i < N; i++)
		w[i] = alloc(s);
	SFP_EXPECT_EQ(env, S::live_objects(s), N);
	for (unsigned i = 0; i < N; i++) {
		SFP_ASSERT(env, w[i] != nullptr);
		for (unsigned j = 0; j < i; j++)
			SFP_ASSERT(env, w[i] != w[j]);
	}
	for (unsigned i = 0; i < N; i++)
		free(s, w[i]);
	SFP_EXPECT_EQ(env, S::live_objects(s), 0u);
	SFP_EXPECT(env, S::validate(s) >= 1);
	// The other CPU's slab goes back with the cache.
	env.as_cpu(other, [&] { S::shrink(s); });
	destroy(s);
}

// Every case, for a runner that registers them by name.
#define SLUB_FASTPATH_CASES(X)                \
	X(pop_push_primitive)                     \
	X(hardened_free_pointers)                 \
	X(free_pointers_depend_on_address)        \
	X(multi_page_slab)                        \
	X(remote_free_returns_to_owner)

} // namespace slub_fastpath_cases
