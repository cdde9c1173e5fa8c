package store

import (
	"fmt"

	"github.com/service-connector/service-connector/services"
)

// plainKeyID is the key id of a key stored as it is. Encryption at rest will seal keys under
// a named key and record its id; these two functions are the only place that knows.
const plainKeyID = ""

// sealKey returns the form an API key is stored in, and the id of the key it was sealed with.
func sealKey(key services.Secret) (stored, keyID string) {
	return key.Reveal(), plainKeyID
}

// openKey returns the API key of a stored form. A key sealed under a key this build does not
// hold is an error that names the key id, never the stored form.
func openKey(stored, keyID string) (services.Secret, error) {
	if keyID != plainKeyID {
		return "", fmt.Errorf("an API key is sealed under the key %q, which this portal does not hold", keyID)
	}
	return services.Secret(stored), nil
}
