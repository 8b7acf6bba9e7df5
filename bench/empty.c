/*
 * empty.c: the reference preload for bench/run.sh.  A shared object with
 * no constructor and no interposed symbol: what any LD_PRELOAD costs a
 * program at start-up (one more object to find, map and relocate), so that
 * the shim's own share can be told apart from that floor.
 */
typedef int bench_empty_nothing;
