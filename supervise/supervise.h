/*
 * How the wrapper starts submitify-supervise, written once for both sides
 * (wrapper/seccomp.c starts it, supervise/main.c reads this).
 *
 *   argv      submitify-supervise PORTS HELPER
 *             PORTS   the intercept ports ("25,2525"), as SUBMITIFY_PORTS
 *             HELPER  the path of submitify-helper
 *   fd 3      a SOCK_SEQPACKET socket to the wrapper (SUP_CTL_FD)
 *   environ   what every helper it starts gets (LD_PRELOAD taken out)
 *
 * On fd 3 the supervisor sends its pid (a pid_t), the wrapper answers
 * with the filter's listener (SCM_RIGHTS, one byte of data), and the
 * supervisor sends one byte once it holds it.  Then both close fd 3.
 */
#ifndef SUBMITIFY_SUPERVISE_H
#define SUBMITIFY_SUPERVISE_H

#define SUP_CTL_FD	3

enum sup_arg {
	SA_NAME,
	SA_PORTS,
	SA_HELPER,
	SA_END,			/* always NULL */
	SA_SLOTS
};

/* Pass fd over the start-up socket sock: 0, or -1. */
int sup_send_fd(int sock, int fd);

/* The descriptor passed over sock (close-on-exec), or -1. */
int sup_recv_fd(int sock);

#endif
