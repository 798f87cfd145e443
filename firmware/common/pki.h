/*
 * The pool's small PKI (used by daspool-pki and the tests): a CA, the
 * manager's certificate, and host/admin certificates, all ECDSA P-256,
 * PEM, in one directory:
 *
 *   DIR/ca.crt DIR/ca.key             CN "daspool pool CA", OU ca
 *   DIR/manager.crt DIR/manager.key   CN the manager's name, OU manager
 *   DIR/NAME.crt DIR/NAME.key         CN NAME, OU the role
 *
 * Subjects are "CN=NAME,OU=ROLE,O=daspool". Key files are mode 0600.
 */
#ifndef DASPOOL_PKI_H
#define DASPOOL_PKI_H

#include <stddef.h>
#include <stdio.h>

#define PKI_CA_DAYS	3650
#define PKI_HOST_DAYS	825

/* Either days from now (backdated an hour for clock skew), or an
 * explicit UTC window "YYYYMMDDHHMMSS" when both strings are set. */
struct pki_validity {
	int		 days;
	const char	*not_before;
	const char	*not_after;
};

/* Creates the CA and the manager's certificate. An existing CA is kept
 * (error) unless force. */
int	pki_init(const char *dir, const char *manager_name,
	    const struct pki_validity *, int force, char *err, size_t errlen);

/* Issues DIR/NAME.crt + DIR/NAME.key with role (enum dsp_role) from the
 * CA in DIR. An existing NAME.crt is kept (error) unless force. */
int	pki_issue(const char *dir, const char *name, int role,
	    const struct pki_validity *, int force, char *err, size_t errlen);

/* Prints name, role, validity and issuer of a certificate file. */
int	pki_show(const char *cert_file, FILE *out, char *err, size_t errlen);

#endif
