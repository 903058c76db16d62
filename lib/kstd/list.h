// Intrusive circular doubly linked list with Linux's list_head semantics and names, so
// ports of Linux algorithms (buddy free lists, slab partial lists) read the same.
#pragma once

#include "types.h"

struct list_head {
	list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) {&(name), &(name)}

inline void INIT_LIST_HEAD(list_head *l) { l->next = l->prev = l; }
inline bool list_empty(const list_head *h) { return h->next == h; }

inline void __list_add(list_head *n, list_head *prev, list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}
inline void list_add(list_head *n, list_head *head) { __list_add(n, head, head->next); }
inline void list_add_tail(list_head *n, list_head *head) { __list_add(n, head->prev, head); }
inline void __list_del(list_head *prev, list_head *next)
{
	next->prev = prev;
	prev->next = next;
}
// Poisoned pointers catch use after list_del (addresses that fault in the kernel and host).
inline list_head *const LIST_POISON1 = reinterpret_cast<list_head *>(0xdead000000000100ull);
inline list_head *const LIST_POISON2 = reinterpret_cast<list_head *>(0xdead000000000122ull);
inline void list_del(list_head *e)
{
	__list_del(e->prev, e->next);
	e->next = LIST_POISON1;
	e->prev = LIST_POISON2;
}
inline void list_del_init(list_head *e)
{
	__list_del(e->prev, e->next);
	INIT_LIST_HEAD(e);
}
inline void list_move(list_head *e, list_head *head)
{
	__list_del(e->prev, e->next);
	list_add(e, head);
}
inline void list_move_tail(list_head *e, list_head *head)
{
	__list_del(e->prev, e->next);
	list_add_tail(e, head);
}
inline bool list_is_singular(const list_head *h) { return !list_empty(h) && h->next == h->prev; }

#define container_of(ptr, type, member) \
	reinterpret_cast<type *>(reinterpret_cast<char *>(ptr) - __builtin_offsetof(type, member))
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_last_entry(head, type, member) list_entry((head)->prev, type, member)
#define list_for_each(pos, head) for (list_head *pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_safe(pos, n, head) \
	for (list_head *pos = (head)->next, *n = pos->next; pos != (head); pos = n, n = pos->next)
