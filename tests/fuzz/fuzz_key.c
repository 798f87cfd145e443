/*
 * See fuzz_key.h. The key pair was made once with daspool-pki init and
 * is written here: seeds signed with it stay valid for the harness.
 * It signs nothing but fuzz inputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_key.h"

static const char fuzz_key_cert[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIB0TCCAXSgAwIBAgIQVrtwRfSMKbrYdQ1ULUMLXTAMBggqhkjOPQQDAgUAMDkx\n"
	"GDAWBgNVBAMMD2Rhc3Bvb2wgcG9vbCBDQTELMAkGA1UECwwCY2ExEDAOBgNVBAoM\n"
	"B2Rhc3Bvb2wwIBcNMjYxMjAxMTQzNTI0WhgPMjEyNjExMDcxNTM1MjRaMDYxEDAO\n"
	"BgNVBAMMB21hbmFnZXIxEDAOBgNVBAsMB21hbmFnZXIxEDAOBgNVBAoMB2Rhc3Bv\n"
	"b2wwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQsV+pnb6UVAifYa0HgxyBrBjbt\n"
	"aj9Xo/nydf3YxXXV/QA47FY1Rng+z19DY+ISjUuYTvb68bgp7+Efq6Jx6/hIo10w\n"
	"WzAJBgNVHRMEAjAAMB0GA1UdDgQWBBR/JAD/YrEDD0IWTGgDclzp5MnkgDAfBgNV\n"
	"HSMEGDAWgBR2YnDeJq5kyTY80GH3CT2eWPCQHzAOBgNVHQ8BAf8EBAMCB4AwDAYI\n"
	"KoZIzj0EAwIFAANJADBGAiEAwa7VI44dseLdcx/JgLrWAVrB5LIl5DqVZa2IadIr\n"
	"Dq0CIQDMU4AN0O4da3LATIc2ToImJQQM/p8C0nVRlL3oAQGeLg==\n"
	"-----END CERTIFICATE-----\n";

static const char fuzz_key_private[] =
	"-----BEGIN EC PRIVATE KEY-----\n"
	"MHcCAQEEIB5GXsbSkDWQwv/s8bZk5paMILS8mqpeOdMsnchmJyCToAoGCCqGSM49\n"
	"AwEHoUQDQgAELFfqZ2+lFQIn2GtB4McgawY27Wo/V6P58nX92MV11f0AOOxWNUZ4\n"
	"Ps9fQ2PiEo1LmE72+vG4Ke/hH6uicev4SA==\n"
	"-----END EC PRIVATE KEY-----\n";

/* The loaders take file names: the PEM goes through a file that is
 * removed as soon as it is read. */
static int
fuzz_key_file(const char *pem, char *path, size_t pathlen)
{
	const char	*tmp = getenv("TMPDIR");
	size_t		 len = strlen(pem);
	int		 fd;

	snprintf(path, pathlen, "%s/daspool-fuzz-key.XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if (write(fd, pem, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

struct ticket_verifier *
fuzz_key_verifier(void)
{
	struct ticket_verifier	*v;
	char			 path[4096], err[256];

	if (fuzz_key_file(fuzz_key_cert, path, sizeof(path)) == -1) {
		perror("fuzz key");
		abort();
	}
	v = ticket_verifier_new(path, err, sizeof(err));
	unlink(path);
	if (v == NULL) {
		fprintf(stderr, "fuzz key: %s\n", err);
		abort();
	}
	return v;
}

struct ticket_signer *
fuzz_key_signer(void)
{
	struct ticket_signer	*s;
	char			 path[4096], err[256];

	if (fuzz_key_file(fuzz_key_private, path, sizeof(path)) == -1) {
		perror("fuzz key");
		abort();
	}
	s = ticket_signer_new(path, err, sizeof(err));
	unlink(path);
	if (s == NULL) {
		fprintf(stderr, "fuzz key: %s\n", err);
		abort();
	}
	return s;
}
