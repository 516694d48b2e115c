/* Uses an installed libmeshorch_c: checks the version and validates a small spec. */
#include <meshorch/meshorch.h>

#include <stdio.h>
#include <string.h>

static const char spec_text[] =
    "apiVersion: meshorch.io/v1alpha1\n"
    "kind: Service\n"
    "metadata: {name: shop}\n"
    "spec:\n"
    "  microservices:\n"
    "    - name: web\n"
    "      ports: [{name: http, number: 8080, protocol: HTTP}]\n"
    "      versions:\n"
    "        - name: v1\n"
    "          container: {image: \"registry.example/web:1.0\"}\n"
    "          vnf: {vnfdId: web-cnf, flavourId: simple}\n";

int main(void) {
    int major = -1, minor = -1, patch = -1;
    meshorch_version(&major, &minor, &patch);
    printf("meshorch %d.%d.%d (header %d.%d.%d)\n", major, minor, patch, MESHORCH_VERSION_MAJOR,
           MESHORCH_VERSION_MINOR, MESHORCH_VERSION_PATCH);
    if (major != MESHORCH_VERSION_MAJOR || minor != MESHORCH_VERSION_MINOR ||
        patch != MESHORCH_VERSION_PATCH) {
        fprintf(stderr, "library and header versions differ\n");
        return 1;
    }

    char* errors = NULL;
    int rc = meshorch_spec_validate(&errors, spec_text);
    if (rc != MESHORCH_OK) {
        fprintf(stderr, "meshorch_spec_validate: %s: %s\n", meshorch_errstr(rc),
                errors ? errors : meshorch_error_last()->message);
        meshorch_free(errors);
        return 1;
    }
    printf("valid: %s\n", errors);
    meshorch_free(errors);

    /* A broken spec must be refused with INVALID_SPEC or PARSE. */
    rc = meshorch_spec_validate(NULL, "apiVersion: meshorch.io/v1alpha1\nkind: Service\n");
    if (rc != MESHORCH_E_INVALID_SPEC && rc != MESHORCH_E_PARSE) {
        fprintf(stderr, "an invalid spec gave %d (%s)\n", rc, meshorch_errstr(rc));
        return 1;
    }
    printf("invalid: %s\n", meshorch_errstr(rc));
    return 0;
}
