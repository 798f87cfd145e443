/*
 * The pool's small PKI (used by daspool-pki and the tests): a CA, the
 * manager's certificate, and host/admin certificates, all ECDSA P-256,
 * PEM, in one directory:
 *
 *   DIR/ca.crt DIR/ca.key             CN "daspool pool CA", OU ca
 *   DIR/manager.crt DIR/manager.key   CN the manager's name, OU manager
 *   DIR/NAME.crt DIR/NAME.key         CN NAME, OU the role
 *   DIR/crl.pem                       the CRL: revoked serial numbers
 *
 * Subjects are "CN=NAME,OU=ROLE,O=daspool". Key files are mode 0600.
 */
#ifndef DASPOOL_PKI_H
#define DASPOOL_PKI_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define PKI_CA_DAYS	3650
#define PKI_HOST_DAYS	825
#define PKI_CRL_DAYS	365	/* from one CRL to its next update */

/* Either days from now (backdated an hour for clock skew), or an
 * explicit UTC window "YYYYMMDDHHMMSS" when both strings are set. */
struct pki_validity {
	int		 days;
	const char	*not_before;
	const char	*not_after;
};

/* Creates the CA, the manager's certificate and a CRL listing nothing.
 * An existing CA is kept (error) unless force. */
int	pki_init(const char *dir, const char *manager_name,
	    const struct pki_validity *, int force, char *err, size_t errlen);

/* Issues DIR/NAME.crt + DIR/NAME.key with role (enum dsp_role) from the
 * CA in DIR. An existing NAME.crt is kept (error) unless force. */
int	pki_issue(const char *dir, const char *name, int role,
	    const struct pki_validity *, int force, char *err, size_t errlen);

/* What pki_revoke did. */
struct pki_revocation {
	char	serial[128];	/* "4A:0F:...", as show prints it */
	time_t	since;		/* when it was revoked */
	size_t	listed;		/* certificates DIR/crl.pem lists now */
	int	already;	/* it was listed before: nothing changed */
};

/*
 * Revokes DIR/NAME.crt, which the CA in DIR must have issued: its
 * serial goes into DIR/crl.pem with the time now (the file is made when
 * missing; earlier entries stay), signed anew by the CA, next update in
 * days (0: PKI_CRL_DAYS). A certificate listed already changes nothing.
 * 0, or -1 with the reason in err.
 */
int	pki_revoke(const char *dir, const char *name, int days,
	    struct pki_revocation *, char *err, size_t errlen);

/* Prints name, role, validity and issuer of a certificate file, and
 * whether dir's crl.pem revokes it (dir NULL: the file's directory). */
int	pki_show(const char *cert_file, const char *dir, FILE *out, char *err,
	    size_t errlen);

#endif
