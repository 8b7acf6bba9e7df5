/*
 * Internal interface of submitify-supervise: the seccomp notifications it
 * answers and the table of sockets it handed off.
 */
#ifndef SUBMITIFY_SUP_H
#define SUBMITIFY_SUP_H

#include <sys/socket.h>
#include <sys/types.h>

#include <linux/seccomp.h>

#include <stdint.h>

#include "decide.h"

/* What every handler needs; set up once by main(). */
struct sup {
	int nfd;			/* the filter's listener */
	struct decide_ports ports;
	const char *helper;		/* path of submitify-helper */
};

/* A notification as received, with room for a larger kernel's form. */
union sup_notif {
	struct seccomp_notif n;
	char room[256];
};

/* Answer notification id: err 0 is success, else the errno to return. */
int notif_answer(int nfd, uint64_t id, int err);

/* Let the kernel run the call as the program made it. */
int notif_continue(int nfd, uint64_t id);

/* 1 while the task that sent id still waits for its answer, else 0. */
int notif_valid(int nfd, uint64_t id);

/*
 * Copy len bytes at addr in task tid's memory into buf, or buf into it.
 * Returns 0, or -1 with errno set (EPERM: no ptrace access to the task;
 * EFAULT: a bad address).
 */
int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len);
int mem_write(pid_t tid, uint64_t addr, const void *buf, size_t len);

/*
 * A pidfd for task tid, taken only while notification id is still
 * pending (so tid was not reused meanwhile).  Returns it, or -1.
 */
int task_pidfd(int nfd, uint64_t id, pid_t tid);

/* A duplicate of the task's descriptor fd (pidfd_getfd), or -1. */
int task_getfd(int pidfd, int fd);

/* The task's process id and program name, for the helper's log. */
void task_name(pid_t tid, long *pid, char *name, size_t len);

/* Handle a connect() notification (supervise/connect.c). */
void sup_connect(const struct sup *s, const struct seccomp_notif *n);

/* Handle a getpeername() notification (supervise/getpeername.c). */
void sup_getpeername(const struct sup *s, const struct seccomp_notif *n);

/* Say why a task's call was refused: syslog, LOG_MAIL. */
void sup_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * The sockets handed off, by SO_COOKIE (no socket ever shares one).  A
 * fixed ring: the oldest entry is reused after TAB_SIZE handoffs.
 */
struct tab_entry {
	uint64_t cookie;
	struct sockaddr_storage dest, via;
	socklen_t destlen, vialen;
	int pending;		/* an answer the program never got */
	int result;		/* that answer: 0 or an errno */
};

void tab_add(const struct tab_entry *e);

/* Copy the entry for cookie into *e: 0, or -1 if there is none. */
int tab_find(uint64_t cookie, struct tab_entry *e);

/* Remember that the answer result for cookie was withdrawn (a signal). */
void tab_set_pending(uint64_t cookie, int result);

/* Take back the withdrawn answer for cookie once: 0 and *result, or -1. */
int tab_take_pending(uint64_t cookie, int *result);

/* Nonzero once any socket was handed off. */
int tab_any(void);

#endif
